#!/usr/bin/env python3
"""Sends N sequential keep-alive requests: load.py PORT PATH N METHOD."""
import socket,sys
port,path,n,method=int(sys.argv[1]),sys.argv[2],int(sys.argv[3]),sys.argv[4]
s=socket.create_connection(("127.0.0.1",port))
if method=="POST":
    body=b'{"name":"Bench item","description":"A thing","price":12.5,"tax":1.25,"tags":["bench","load"],"stock":5}'
    req=f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()+body
else:
    req=f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
buf=b""
for i in range(n):
    s.sendall(req)
    while True:
        h=buf.find(b"\r\n\r\n")
        if h>=0:
            cl=0
            for line in buf[:h].decode().split("\r\n"):
                if line.lower().startswith("content-length:"): cl=int(line.split(":")[1])
            if len(buf)>=h+4+cl:
                buf=buf[h+4+cl:]; break
        d=s.recv(65536)
        if not d: raise SystemExit("closed")
        buf+=d
