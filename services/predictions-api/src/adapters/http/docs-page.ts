/**
 * A self-contained documentation page: it reads /openapi.json and lists every endpoint with its
 * parameters and answers, with a form to try each one with a key. No script from elsewhere.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Crypto price predictions API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d1d1f; }
  h1 { font-size: 1.6rem; } code, pre { font: 13px ui-monospace, monospace; }
  section { border: 1px solid #ddd; border-radius: 8px; padding: 0.5rem 1rem 1rem; margin: 1rem 0; }
  .method { background: #0a7d3b; color: #fff; border-radius: 4px; padding: 0 0.4rem; margin-right: 0.5rem; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: 0.2rem 0.5rem; border-bottom: 1px solid #eee; vertical-align: top; }
  pre { background: #f6f6f8; padding: 0.6rem; overflow: auto; max-height: 20rem; }
  input { font: inherit; padding: 0.1rem 0.3rem; }
</style>
</head>
<body>
<h1>Crypto price predictions API</h1>
<p id="intro"></p>
<p><label>API key <input id="key" size="52" placeholder="cpk_..." autocomplete="off"></label>
   &nbsp;<a href="/openapi.json">openapi.json</a></p>
<div id="paths">Loading /openapi.json…</div>
<script>
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
};
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('intro').textContent = doc.info.description;
  const root = document.getElementById('paths');
  root.textContent = '';
  for (const [path, ops] of Object.entries(doc.paths)) {
    const op = ops.get;
    const section = el('section', {}, el('h2', {}, el('span', { class: 'method' }, 'GET'), el('code', {}, path)), el('p', {}, op.summary));
    const params = op.parameters || [];
    const inputs = {};
    if (params.length) {
      const table = el('table', {}, el('tr', {}, el('th', {}, 'parameter'), el('th', {}, 'description'), el('th', {}, 'value')));
      for (const p of params) {
        const schema = (p.schema.oneOf || [p.schema]).find((s) => s.examples || s.default !== undefined) || p.schema;
        const input = el('input', { placeholder: String(schema.default ?? (schema.examples || [])[0] ?? '') });
        inputs[p.name] = input;
        table.append(el('tr', {}, el('td', {}, el('code', {}, p.name + (p.required ? ' *' : ''))), el('td', {}, p.description || ''), el('td', {}, input)));
      }
      section.append(table);
    }
    const answers = el('p', {}, 'Answers: ' + Object.entries(op.responses).map(([code, r]) => code + ' ' + r.description).join('; '));
    const out = el('pre');
    const button = el('button', {}, 'Try it');
    button.onclick = async () => {
      const query = new URLSearchParams();
      for (const [name, input] of Object.entries(inputs)) if (input.value) query.set(name, input.value);
      const url = path + (query.size ? '?' + query : '');
      if (path === '/v1/stream') { out.textContent = 'Streams need a client that keeps the connection open, e.g. curl -N -H "X-API-Key: ..." "' + url + '"'; return; }
      const key = document.getElementById('key').value.trim();
      const response = await fetch(url, { headers: key ? { 'X-API-Key': key } : {} });
      const text = await response.text();
      let body = text; try { body = JSON.stringify(JSON.parse(text), null, 2); } catch {}
      out.textContent = 'GET ' + url + '\\n' + response.status + ' ' + response.statusText + '\\n\\n' + body;
    };
    section.append(answers, button, out);
    root.append(section);
  }
}).catch((e) => { document.getElementById('paths').textContent = 'Could not load /openapi.json: ' + e; });
</script>
</body>
</html>
`;
