// Markdown from the portal's settings, rendered by react-markdown with
// GitHub's extensions (tables, task lists). Raw HTML in the text is not
// rendered, and rehype-sanitize (GitHub's allow-list) drops anything else
// unsafe — `javascript:` links included — as a second line of defence.
import ReactMarkdown from 'react-markdown';
import remarkGfm from 'remark-gfm';
import rehypeSanitize from 'rehype-sanitize';
import { Typography } from '@mantine/core';

/** `text` as sanitised HTML. */
export function Markdown({ text }: { text: string }) {
  return (
    <Typography>
      <ReactMarkdown remarkPlugins={[remarkGfm]} rehypePlugins={[rehypeSanitize]}>
        {text}
      </ReactMarkdown>
    </Typography>
  );
}
