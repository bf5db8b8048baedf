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
  header { flex-wrap: wrap; gap: .3rem 1rem; } nav.main a[aria-current] { text-decoration: underline; }
  /* A wide table scrolls inside its box on a phone; the page itself never scrolls sideways. */
  .table-wrap { max-width: 100%; overflow-x: auto; } .clipped { cursor: help; text-decoration: underline dotted #999; }
  .flash-failed { background: #fbd5d2; } .flash-pending { background: #fde8c4; } .flash ul { margin: .3rem 0 0; padding-left: 1.2rem; }
  form.search { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; background: #fff; padding: .6rem; border: 1px solid #e3e3e3; }
  form.search label { margin: 0; display: flex; flex-direction: column; font-size: 12px; color: #444; }
  form.search input, form.search select { padding: .25rem; font: inherit; max-width: 100%; min-width: 0; }
  form.search input[type=text] { width: 12rem; } .pager { margin: .8rem 0; display: flex; gap: 1rem; flex-wrap: wrap; }
  figure.chart { margin: 1rem 0; background: #fff; border: 1px solid #e3e3e3; padding: .5rem; max-width: 60rem; }
  figure.chart svg { width: 100%; height: auto; display: block; } figure.chart text { font: 11px system-ui, sans-serif; fill: #444; }
  ul.legend { list-style: none; padding: 0; margin: .3rem 0 0; display: flex; flex-wrap: wrap; gap: .2rem .9rem; font-size: 12px; }
  .swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; }
  ol.timeline { list-style: none; padding: 0; margin: 0; border-left: 3px solid #ccd; }
  ol.timeline li { position: relative; margin: 0 0 .8rem; padding: .1rem 0 .1rem 1rem; }
  ol.timeline li::before { content: ''; position: absolute; left: -8px; top: .45rem; width: 11px; height: 11px; border-radius: 50%; background: #889; }
  ol.timeline li[data-status=failed]::before { background: #d93025; } ol.timeline li[data-status=succeeded]::before { background: #188038; }
  ol.timeline .gap { color: #666; font-size: 12px; } .refresh { font-size: 12px; color: #555; } .refresh a, .refresh strong { margin-left: .4rem; }
  @media (max-width: 640px) {
    body { margin: 0 .6rem 1.5rem; } th, td { padding: .25rem .35rem; } h1 { font-size: 1.2rem; }
    form.search input[type=text] { width: 100%; } form.search label { flex: 1 1 100%; }
    /* Every list table scrolls inside itself (wrapped or not); field tables wrap their values. */
    table:not(.fields) { display: block; overflow-x: auto; } table.fields th { width: 6rem; }
  }
`);

export type LayoutOptions = {
  /** A meta refresh (no script): the page reloads itself every so many seconds, at `refreshUrl`. */
  refreshSeconds?: number | undefined;
  refreshUrl?: string | undefined;
};

export function layout(title: string, body: SafeHtml, options: LayoutOptions = {}): SafeHtml {
  const refresh = options.refreshSeconds === undefined ? '' : html`<meta http-equiv="refresh" content="${options.refreshSeconds}${options.refreshUrl ? `; url=${options.refreshUrl}` : ''}">`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">${refresh}
<title>${title}</title><style>${STYLE}</style></head>
<body>${body}</body></html>`;
}
