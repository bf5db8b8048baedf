import { SafeHtml, html } from './html.ts';

/** Inline, so the page is one request; it is our own text, never data. */
const STYLE = new SafeHtml(`
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0 1.5rem 2rem; color: #1d1d1f; background: #fafafa; }
  /* Payload values can be one unbroken 3,000-character word: they wrap, the page never widens. */
  body { overflow-wrap: anywhere; } time, .status, button { white-space: nowrap; }
  header { display: flex; align-items: baseline; justify-content: space-between; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
  nav a { margin-right: .8rem; } nav.filter { margin: .5rem 0 1rem; } a[aria-current] { font-weight: 600; text-decoration: none; }
  table { border-collapse: collapse; width: 100%; background: #fff; } table.narrow { width: auto; }
  table.fields { table-layout: fixed; } table.fields th { width: 9rem; }
  th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #e3e3e3; }
  th { font-weight: 600; background: #f0f0f2; }
  td.key, .key { font-family: ui-monospace, monospace; font-size: 12px; overflow-wrap: anywhere; }
  td.error { color: #a1130b; max-width: 28rem; overflow-wrap: anywhere; } td.bad { color: #a1130b; font-weight: 600; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 20rem; overflow: auto; background: #f5f5f5; padding: .5rem; color: #1d1d1f; }
  pre.raw { max-height: 40rem; } tr[aria-current] td { background: #f0f4ff; }
  .count { color: #666; font-weight: normal; } .hint, .empty { color: #555; }
  .status { display: inline-block; padding: 0 .4rem; border-radius: 3px; background: #e8e8ea; font-size: 12px; }
  .status-failed { background: #fbd5d2; color: #7a0d06; } .status-partial { background: #fde8c4; color: #6b4200; }
  .status-succeeded { background: #d6f0d9; color: #145a1f; }
  .flash { background: #d6f0d9; padding: .5rem .8rem; } .problem { background: #fbd5d2; padding: .5rem .8rem; }
  form.inline { display: inline; } button { cursor: pointer; }
  label { display: block; margin: 1rem 0 .3rem; } input[type=password] { width: 22rem; max-width: 100%; padding: .3rem; }
`);

export function layout(title: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title}</title><style>${STYLE}</style></head>
<body>${body}</body></html>`;
}
