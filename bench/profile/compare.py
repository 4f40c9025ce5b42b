#!/usr/bin/env python3
"""Per-request instructions by function, server A against server B:
compare.py A.300.out A.1300.out B.300.out B.1300.out [ROWS]
(columns: B minus A, A, B; from bench/profile/instructions.sh runs)."""
import subprocess,sys,re,collections
def load(f):
    out=subprocess.run(["callgrind_annotate","--threshold=100",f],capture_output=True,text=True).stdout
    d=collections.Counter()
    for line in out.splitlines():
        m=re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(.*)",line)
        if m and "PROGRAM TOTALS" not in line:
            k=re.sub(r"\[/(?!usr/).*?\]","",m.group(2))[:140]  # the binary's path, so two servers line up
            d[k]+=int(m.group(1).replace(",",""))
    return d
def per(a,b): 
    A=load(a);B=load(b); return {k:(B[k]-A.get(k,0))/1000 for k in B}
x=per(sys.argv[1],sys.argv[2]); y=per(sys.argv[3],sys.argv[4])
keys=set(x)|set(y)
rows=sorted(((y.get(k,0)-x.get(k,0),x.get(k,0),y.get(k,0),k) for k in keys),key=lambda r:-abs(r[0]))
print("sum diff",sum(r[0] for r in rows))
for d,a,b,k in rows[:int(sys.argv[5]) if len(sys.argv) > 5 else 40]:
    print(f"{d:8.0f} {a:8.0f} {b:8.0f}  {k}")
