// The one entry point of api/static/vendor/codemirror.js: the CodeMirror 6 names the playground
// uses, re-exported from one ES module. Our own code (api/static/playground/*.js) stays plain,
// unbundled JavaScript that imports from here, so changing the playground never needs npm; only
// a new CodeMirror name or version does (then run `node build.mjs`).
export { basicSetup, minimalSetup } from "codemirror";
export {
  Decoration,
  EditorView,
  GutterMarker,
  gutter,
  keymap,
  lineNumbers,
  placeholder,
} from "@codemirror/view";
export {
  Compartment,
  EditorSelection,
  EditorState,
  Prec,
  RangeSet,
  StateEffect,
  StateField,
} from "@codemirror/state";
export { indentWithTab } from "@codemirror/commands";
export { bracketMatching, indentUnit } from "@codemirror/language";
export { closeBrackets } from "@codemirror/autocomplete";
export { javascript } from "@codemirror/lang-javascript";
export { json, jsonParseLinter } from "@codemirror/lang-json";
export { diagnosticCount, lintGutter, linter, setDiagnostics } from "@codemirror/lint";
