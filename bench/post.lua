-- wrk script for the "validated POST" scenario: one valid ItemCreate per request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"Widget","description":"A benchmark widget","price":9.99,"tax":0.5,"tags":["bench","widget"],"stock":3}'
