// Parse mermaid diagrams with mermaid's own parser, under Node with a jsdom window.
//
//   node .ci/node/mermaid-parse.mjs FILE...
//
// A FILE ending in .md is scanned for ```mermaid fences (each one is parsed); any
// other file is one diagram. Prints "FILE[:LINE]: ok (TYPE)" per diagram; on the
// first error prints "FILE:LINE: ERROR" on stderr and exits 1. Exit 2: bad usage.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!DOCTYPE html><html><body></body></html>", { pretendToBeVisual: true });
// mermaid (and DOMPurify, d3) look these up as globals at import time.
const g = globalThis;
g.window = dom.window;
g.document = dom.window.document;
for (const name of ["Element", "HTMLElement", "SVGElement", "Node", "DocumentFragment", "DOMParser",
                    "XMLSerializer", "MutationObserver", "getComputedStyle", "requestAnimationFrame"]) {
  if (g[name] === undefined && dom.window[name] !== undefined) {
    g[name] = typeof dom.window[name] === "function" && name[0] === name[0].toLowerCase()
      ? dom.window[name].bind(dom.window) : dom.window[name];
  }
}
if (g.navigator === undefined) {
  Object.defineProperty(g, "navigator", { value: dom.window.navigator, configurable: true });
}

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

function blocks(file, text) {
  if (!file.endsWith(".md")) return [{ line: 1, code: text }];
  const out = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "```mermaid") {
      const start = i + 1;
      let j = start;
      while (j < lines.length && lines[j].trim() !== "```") j++;
      out.push({ line: start + 1, code: lines.slice(start, j).join("\n") });
      i = j;
    }
  }
  return out;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node mermaid-parse.mjs FILE...");
  process.exit(2);
}
let count = 0;
for (const file of files) {
  for (const { line, code } of blocks(file, readFileSync(file, "utf8"))) {
    try {
      const res = await mermaid.parse(code);
      console.log(`${file}:${line}: ok (${res && res.diagramType ? res.diagramType : "parsed"})`);
      count++;
    } catch (err) {
      console.error(`${file}:${line}: ${String(err && err.message ? err.message : err).split("\n").join(" ")}`);
      process.exit(1);
    }
  }
}
console.log(`${count} diagram(s) parsed`);
