"""Writes a random nbformat 4.4 notebook (seed = argv[1]) to argv[2]: odd
strings (every str.splitlines break, control chars, non-BMP), big ints,
non-finite and subnormal floats, list and str multi-line forms."""
import json, random, sys
random.seed(int(sys.argv[1]))
def rstr():
    pool = ["a","\n","\r","\r\n","\x0b","\x0c","\x1c","\x1d","\x1e","\x85","\u2028","\u2029","\x00","\x1f","\x7f","\"","\\","é","😀","\t","\b","\ud7ff","\ue000","\uffff"," ", "\x01"]
    return "".join(random.choice(pool) for _ in range(random.randint(0,12)))
def rval(d=0):
    k = random.randint(0, 9 if d<3 else 5)
    if k==0: return None
    if k==1: return random.choice([True,False])
    if k==2: return random.choice([0,-1,2**63-1,-2**63,2**63,-2**63-1,10**40,-10**30, random.randint(-10**6,10**6)])
    if k==3: return random.choice([0.0,-0.0,1e16,1e15,1e-4,1e-5,0.1,1/3,5e-324,1.7976931348623157e308,float('nan'),float('inf'),-float('inf'),123.0,random.uniform(-1e10,1e10), random.random()*10**random.randint(-30,30)])
    if k in (4,5): return rstr()
    if k in (6,7): return [rval(d+1) for _ in range(random.randint(0,3))]
    return {rstr(): rval(d+1) for _ in range(random.randint(0,3))}
cells=[]
for i in range(20):
    ct = random.choice(["code","markdown","raw"])
    c={"cell_type":ct,"metadata":{"x":rval(1),"tags":["a"],"trusted":True},"source":random.choice([rstr(),[rstr(),rstr()]])}
    if ct=="code":
        c["execution_count"]=random.choice([None,3])
        c["outputs"]=[{"output_type":"stream","name":"stdout","text":random.choice([rstr(),[rstr(),rstr()]])},
          {"output_type":"display_data","metadata":{},"data":{"text/plain":random.choice([rstr(),[rstr()]]),"image/png":[rstr(),rstr()],"application/json":{"a":[rstr()]},"application/javascript":rstr(),"image/svg+xml":[rstr()],"application/x+json":rval(1)}},
          {"output_type":"error","ename":rstr(),"evalue":"","traceback":[rstr()]},
          {"output_type":"execute_result","execution_count":1,"metadata":{"m":rval(1)},"data":{}}]
    else:
        c["attachments"]={"f.png":{"image/png":[rstr(),rstr()],"text/plain":rstr()}}
    cells.append(c)
nb={"nbformat":4,"nbformat_minor":4,"metadata":{"orig_nbformat":3,"signature":"x","weird":rval(1),rstr() or "k":{}},"cells":cells}
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write(json.dumps(nb, ensure_ascii=random.choice([True,False]), indent=random.choice([None,0,1,2])))
