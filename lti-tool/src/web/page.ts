import { html, type SafeHtml } from './html.js';
import type { Lang } from './i18n.js';

/** The frame of every server-rendered page: language, title, a readable default style, no scripts. */
export function page(lang: Lang, title: string, body: SafeHtml, head: SafeHtml = html``): string {
  return html`<!doctype html>
    <html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Virtual Tutor</title>
        ${head}
        <style>
          /* hidden always hides, whatever display a class gives the element */
          [hidden] {
            display: none !important;
          }
          body {
            font:
              16px/1.5 system-ui,
              sans-serif;
            margin: 0 auto;
            max-width: 72rem;
            padding: 1.5rem;
            color: #1b1f24;
          }
          h1 {
            font-size: 1.5rem;
          }
          table {
            border-collapse: collapse;
            width: 100%;
          }
          th,
          td {
            text-align: left;
            padding: 0.4rem 0.6rem;
            border-bottom: 1px solid #d0d7de;
            vertical-align: top;
          }
          a {
            color: #0b5cad;
          }
          .error {
            color: #a40e26;
          }
          .ok {
            color: #1b5e20;
          }
          .check-steps {
            padding-left: 1.2rem;
          }
          .check-steps .fix {
            display: inline-block;
            margin-top: 0.2rem;
          }
          label {
            display: block;
            margin: 0.6rem 0 0.2rem;
          }
          input,
          button {
            font: inherit;
            padding: 0.4rem 0.6rem;
          }
          button {
            cursor: pointer;
          }
          nav {
            display: flex;
            gap: 1rem;
            align-items: center;
            margin-bottom: 1rem;
          }
          nav form {
            margin-left: auto;
          }
          .visually-hidden {
            position: absolute;
            width: 1px;
            height: 1px;
            overflow: hidden;
            clip-path: inset(50%);
            white-space: nowrap;
          }
          :focus-visible {
            outline: 3px solid #0b5cad;
            outline-offset: 2px;
          }
        </style>
      </head>
      <body>
        ${body}
      </body>
    </html>`.value;
}
