// The playground's CodeMirror editors: the code editor, the small JSON editors, and the
// error marker (the failing line highlighted, the failing column underlined, the message on
// hover and in the lint panel).
//
// CodeMirror comes from ../vendor/codemirror.js, built from pinned npm packages by
// tools/playground/build.mjs; this file is plain JavaScript served as is.
import {
  Decoration,
  EditorSelection,
  EditorState,
  EditorView,
  Prec,
  StateEffect,
  StateField,
  basicSetup,
  bracketMatching,
  closeBrackets,
  indentUnit,
  indentWithTab,
  javascript,
  json,
  jsonParseLinter,
  keymap,
  lineNumbers,
  linter,
  minimalSetup,
  placeholder,
  setDiagnostics,
} from "../vendor/codemirror.js";

// --- The error marker --------------------------------------------------------------------------

const markError = StateEffect.define();
const clearError = StateEffect.define();

const errorLine = Decoration.line({ class: "cm-jseval-error-line" });
const errorAt = Decoration.mark({ class: "cm-jseval-error-at" });

// Decorations for the marked error; mapped through edits so the mark stays on its line.
const errorField = StateField.define({
  create: () => Decoration.none,
  update(marks, tr) {
    marks = marks.map(tr.changes);
    for (const effect of tr.effects) {
      if (effect.is(clearError)) marks = Decoration.none;
      if (effect.is(markError)) {
        const { lineFrom, from, to } = effect.value;
        const ranges = [errorLine.range(lineFrom)];
        if (to > from) ranges.push(errorAt.range(from, to));
        marks = Decoration.set(ranges, true);
      }
    }
    return marks;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/** Where 1-based `line`/`column` fall in `state`: the line, and the token to underline. */
function locate(state, line, column) {
  const doc = state.doc;
  const lineInfo = doc.line(Math.min(Math.max(1, line), doc.lines));
  const offset = column ? Math.min(Math.max(0, column - 1), lineInfo.length) : 0;
  const from = lineInfo.from + offset;
  const word = state.wordAt(from);
  let to = word && word.from === from ? word.to : Math.min(from + 1, lineInfo.to);
  if (!column) to = lineInfo.to;
  return { lineFrom: lineInfo.from, from, to: Math.max(to, from) };
}

/** Mark an error at 1-based `line` (and `column` when known) and scroll to it. */
export function showError(view, line, column, message) {
  const where = locate(view.state, line, column);
  const from = where.to > where.from ? where.from : where.lineFrom;
  const to = Math.max(where.to, from);
  const diagnostics = [{ from, to, severity: "error", message, source: "jseval" }];
  view.dispatch(setDiagnostics(view.state, diagnostics), {
    effects: [markError.of(where), EditorView.scrollIntoView(where.from, { y: "center" })],
  });
}

/** Remove the error marker, if any. */
export function clearErrorMark(view) {
  view.dispatch(setDiagnostics(view.state, []), { effects: clearError.of(null) });
}

/** Put the cursor at 1-based `line`/`column` and focus the editor. */
export function goTo(view, line, column) {
  const where = locate(view.state, line, column);
  view.dispatch({
    selection: EditorSelection.cursor(where.from),
    effects: EditorView.scrollIntoView(where.from, { y: "center" }),
  });
  view.focus();
}

// --- Editors -----------------------------------------------------------------------------------

function runKeymap(onRun) {
  // Ctrl/Cmd+Enter runs; highest precedence, since CodeMirror's default keymap binds it to
  // "insert blank line". Returning true also stops the page-wide handler running it twice.
  return Prec.highest(
    keymap.of([{ key: "Mod-Enter", run: () => (onRun(), true), preventDefault: true }]),
  );
}

// CodeMirror puts its base styles in a <style> element; the page's Content-Security-Policy lets
// it in only with the nonce the server wrote into this page (api/routes/meta.py).
const styleNonce = document.querySelector('meta[name="jseval-style-nonce"]')?.content || "";

function common({ labelledBy, onChange, onRun }) {
  return [
    EditorView.cspNonce.of(styleNonce),
    EditorView.contentAttributes.of({ "aria-labelledby": labelledBy, "aria-multiline": "true" }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) onChange();
    }),
    runKeymap(onRun),
    indentUnit.of("  "),
    EditorState.tabSize.of(2),
    errorField,
  ];
}

/** The code editor: JavaScript highlighting, line numbers, folding, search, Tab indents. */
export function codeEditor(parent, { doc, labelledBy, onChange, onRun, minLines = 14 }) {
  return new EditorView({
    parent,
    doc,
    extensions: [
      basicSetup,
      keymap.of([indentWithTab]),
      javascript(),
      ...common({ labelledBy, onChange, onRun }),
      EditorView.theme({ ".cm-content, .cm-gutter": { minHeight: `${minLines * 1.45}em` } }),
    ],
  });
}

const parseLinter = jsonParseLinter();
// An empty JSON editor means "not sent", not "invalid JSON".
const lintJsonUnlessEmpty = (view) => (view.state.doc.toString().trim() ? parseLinter(view) : []);

/** A small JSON editor: highlighting, line numbers, a parse linter; Tab moves focus on. */
export function jsonEditor(parent, { doc, labelledBy, onChange, onRun, hint }) {
  return new EditorView({
    parent,
    doc,
    extensions: [
      minimalSetup,
      lineNumbers(),
      bracketMatching(),
      closeBrackets(),
      json(),
      linter(lintJsonUnlessEmpty, { delay: 300 }),
      placeholder(hint || ""),
      ...common({ labelledBy, onChange, onRun }),
    ],
  });
}

/** Replace an editor's whole text (a carried store, a restored state). */
export function setText(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}
