// A JSON editor (CodeMirror) that shows every problem at its line: syntax
// errors while typing, JSON Schema 2020-12 meta-schema errors when asked
// (checked in the browser by a validator compiled at build time), and the
// server's errors by their JSON pointers. Loaded on first use: the pages
// without one do not pay for it.
import { useEffect, useMemo, useRef, useState } from 'react';
import { Text } from '@mantine/core';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { forceLinting, linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { findNodeAtLocation, parse, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { FieldError } from '../api/problem';
import { metaErrors } from './metaSchema';

interface Props {
  name: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** The server's errors for this field, pointers starting at the field (`/schema/...`). */
  errors?: FieldError[];
  jsonSchema?: boolean;
  readOnly?: boolean;
}

interface Located {
  from: number;
  to: number;
  line: number;
  message: string;
}

const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';

/** Where the value at `pointer` (RFC 6901) is in `text`, or its nearest parent. */
function locate(text: string, pointer: string): { from: number; to: number } {
  const root = parseTree(text);
  if (!root) return { from: 0, to: Math.min(text.length, 1) };
  const path = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, path.slice(0, n));
    if (node) {
      // A property's key is where a reader looks first.
      const start = node.parent?.type === 'property' ? node.parent.offset : node.offset;
      return { from: start, to: node.offset + node.length };
    }
  }
  return { from: 0, to: 1 };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Every problem of `text`, each at its place. */
function problems(text: string, jsonSchema: boolean, server: FieldError[]): Located[] {
  const out: Located[] = [];
  if (!text.trim()) return out;
  const syntax: ParseError[] = [];
  const value = parse(text, syntax, { disallowComments: true, allowTrailingComma: false });
  for (const e of syntax) {
    out.push({
      from: e.offset,
      to: e.offset + Math.max(e.length, 1),
      line: lineOf(text, e.offset),
      message: `JSON syntax: ${printParseErrorCode(e.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`,
    });
  }
  if (syntax.length === 0 && jsonSchema) {
    for (const e of metaErrors(value)) {
      const at = locate(text, e.pointer);
      out.push({ ...at, line: lineOf(text, at.from), message: e.message });
    }
  }
  for (const e of server) {
    const at = locate(text, e.pointer);
    out.push({ ...at, line: lineOf(text, at.from), message: e.message });
  }
  return out;
}

export default function JsonEditor({ name, label, value, onChange, errors, jsonSchema = false, readOnly = false }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const [text, setText] = useState(value);
  // Server errors point from the request body's root (/schema/...): strip the field.
  const server = useMemo(
    () => (errors ?? []).map((e) => ({ ...e, pointer: e.pointer.split('/').slice(2).join('/').replace(/^/, '/').replace(/^\/$/, '') })),
    [errors],
  );
  const state = useRef({ jsonSchema, server, onChange });
  state.current = { jsonSchema, server, onChange };
  const found = useMemo(() => problems(text, jsonSchema, server), [text, jsonSchema, server]);

  useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          EditorView.cspNonce.of(nonce),
          lineNumbers(),
          history(),
          bracketMatching(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          json(),
          lintGutter(),
          linter(
            (v): Diagnostic[] =>
              problems(v.state.doc.toString(), state.current.jsonSchema, state.current.server).map((p) => ({
                from: Math.min(p.from, v.state.doc.length),
                to: Math.min(p.to, v.state.doc.length),
                severity: 'error',
                message: p.message,
              })),
            { delay: 250 },
          ),
          EditorState.readOnly.of(readOnly),
          EditorView.contentAttributes.of({ 'aria-label': label, 'data-field': name }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) {
              const doc = u.state.doc.toString();
              setText(doc);
              state.current.onChange(doc);
            }
          }),
        ],
      }),
    });
    view.current = editor;
    return () => editor.destroy();
    // The editor is made once; later values come from the user.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // A value set from outside (a reload after save): replace the text.
  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    if (view.current) forceLinting(view.current);
  }, [server]);

  return (
    <div className="json-editor" data-error={found.length > 0}>
      <div ref={host} />
      {found.length > 0 && (
        <div role="alert" data-testid={`${name}-errors`}>
          {found.slice(0, 8).map((p, i) => (
            <Text key={i} size="sm" c="red">
              Line {p.line}: {p.message}
            </Text>
          ))}
        </div>
      )}
    </div>
  );
}
