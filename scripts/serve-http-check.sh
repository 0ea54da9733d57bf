#!/bin/bash
# Run by hand (never in the tests): EXTRA="--max-batch-size 1" scripts/serve-http-check.sh to compare with requests decoded alone.
# real HTTP against `serve` with its defaults: 1 client, then 8 concurrent clients; decode tok/s from details
cd "$(dirname "$0")/.."
java -jar target/layerskip.jar serve --port 18080 $EXTRA > /tmp/serve.out 2>&1 &
SP=$!
for i in $(seq 1 60); do curl -s -o /dev/null http://127.0.0.1:18080/ping && break; sleep 0.5; done
req='{"inputs": "def read_lines(path):", "parameters": {"max_new_tokens": 64, "details": true}}'
one() { curl -s -X POST http://127.0.0.1:18080/predictions/layerskip-demo -H 'Content-Type: application/json' -d "$req"; }
for w in 1 2 3; do one > /dev/null; done   # warm
for r in 1 2 3; do
  s=$(date +%s.%N); one > /tmp/one.json; e=$(date +%s.%N)
  python3 -c "import json; d=json.load(open('/tmp/one.json'))['details']; print('1 client: server tok/s', round(d['tokens_per_second'],1), 'wall s', round($e-$s,3), 'tokens', d['generated_tokens'], 'pipelined', d.get('pipelined'))"
done
for r in 1 2; do
  s=$(date +%s.%N)
  pids=""; for c in 1 2 3 4 5 6 7 8; do one > /tmp/c$c.json & pids="$pids $!"; done; wait $pids
  e=$(date +%s.%N)
  python3 -c "
import json
t=sum(json.load(open('/tmp/c%d.json'%c))['details']['generated_tokens'] for c in range(1,9))
texts=set(json.load(open('/tmp/c%d.json'%c))['generated_text'] for c in range(1,9))
print('8 clients: total tokens', t, 'wall s', round($e-$s,3), 'total tok/s', round(t/($e-$s),1), 'distinct texts', len(texts))"
done
python3 -c "import json; print('text same as 1-client:', json.load(open('/tmp/c1.json'))['generated_text']==json.load(open('/tmp/one.json'))['generated_text'])"
kill $SP; wait $SP 2>/dev/null
