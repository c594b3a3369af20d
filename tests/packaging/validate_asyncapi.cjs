// Validates AsyncAPI documents with the official parser (@asyncapi/parser, which applies
// the AsyncAPI schema and the spec's own rules).
// Usage: node validate_asyncapi.cjs TOOLS_DIR FILE...
// TOOLS_DIR holds node_modules/ (tests/packaging/tools.sh node). Errors and warnings fail;
// information and hints are printed only. Prints `N passed, M failed`.
'use strict';
const path = require('path');

const [toolsDir, ...files] = process.argv.slice(2);
if (!toolsDir || files.length === 0) {
  console.error('usage: node validate_asyncapi.cjs TOOLS_DIR FILE...');
  process.exit(2);
}
const { Parser, fromFile } = require(path.join(toolsDir, 'node_modules', '@asyncapi', 'parser'));
const SEVERITY = ['error', 'warning', 'info', 'hint'];

async function main() {
  const parser = new Parser();
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    const { document, diagnostics } = await fromFile(parser, file).parse();
    let bad = 0;
    for (const d of diagnostics) {
      const where = d.path && d.path.length ? d.path.join('.') : '(document)';
      const line = d.range ? `:${d.range.start.line + 1}` : '';
      console.log(`  ${SEVERITY[d.severity] || d.severity} ${d.code} ${file}${line} ${where}: ${d.message}`);
      if (d.severity <= 1) bad++;
    }
    if (document && bad === 0) {
      passed++;
      console.log(`ok    ${file} is valid AsyncAPI ${document.version()}`);
    } else {
      failed++;
      console.log(`FAIL  ${file}: ${bad} error(s) or warning(s)`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
