import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { XMLBuilder } from 'fast-xml-parser';
import { strToU8, zipSync } from 'fflate';
import { REPO_ROOT } from '../config.js';
import { html } from '../web/html.js';
import type { PackageFormat } from './package-repository.js';

/** What goes into a package: the lesson, and how its launch page reaches the tool. */
export interface PackageSpec {
  readonly packageId: string;
  readonly token: string;
  readonly format: PackageFormat;
  readonly lesson: { readonly id: string; readonly title: string };
  /** The tool's public URL: the player is opened from it. */
  readonly toolUrl: string;
}

/** The launch page's script (ours) and the cmi5 library's browser build, read once. */
const LAUNCH_JS = readFileSync(join(REPO_ROOT, 'lti-tool/package-files/launch.js'));
const CMI5_JS = readFileSync(createRequire(import.meta.url).resolve('@xapi/cmi5/dist/Cmi5.umd.js'));

const xml = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: true });
const document = (root: object): string => `<?xml version="1.0" encoding="UTF-8"?>\n${xml.build(root)}`;

/** The page the LMS launches: the player's frame, what the package says, and the way out. */
function launchPage(s: PackageSpec, scripts: readonly string[]): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${s.lesson.title}</title>
        <style>
          body {
            margin: 0;
            font:
              16px/1.5 system-ui,
              sans-serif;
          }
          iframe {
            display: block;
            width: 100%;
            height: calc(100vh - 3.5rem);
            border: 0;
          }
          footer {
            display: flex;
            gap: 1rem;
            align-items: center;
            padding: 0.5rem 1rem;
          }
        </style>
      </head>
      <body data-tool="${s.toolUrl}" data-token="${s.token}" data-format="${s.format}">
        <iframe id="lesson" title="${s.lesson.title}" allow="autoplay; fullscreen"></iframe>
        <footer>
          <button type="button" id="finish">Finish · 完成</button>
          <p id="status" role="status" aria-live="polite"></p>
        </footer>
        ${scripts.map((src) => html`<script src="${src}"></script>`)}
      </body>
    </html>`.value;
}

/** SCORM 1.2's manifest (Content Aggregation Model): one organization, one SCO, its files. */
function scorm12Manifest(s: PackageSpec, files: readonly string[]): string {
  return document({
    manifest: {
      '@identifier': `vt-${s.packageId}`,
      '@version': '1.0',
      '@xmlns': 'http://www.imsproject.org/xsd/imscp_rootv1p1p2',
      '@xmlns:adlcp': 'http://www.adlnet.org/xsd/adlcp_rootv1p2',
      '@xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
      '@xsi:schemaLocation':
        'http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd ' +
        'http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd ' +
        'http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd',
      metadata: { schema: 'ADL SCORM', schemaversion: '1.2' },
      organizations: {
        '@default': 'vt-org',
        organization: {
          '@identifier': 'vt-org',
          title: s.lesson.title,
          item: {
            '@identifier': 'vt-item',
            '@identifierref': 'vt-sco',
            '@isvisible': 'true',
            title: s.lesson.title,
          },
        },
      },
      resources: {
        resource: {
          '@identifier': 'vt-sco',
          '@type': 'webcontent',
          '@adlcp:scormtype': 'sco',
          '@href': 'index.html',
          file: files.map((f) => ({ '@href': f })),
        },
      },
    },
  });
}

/** cmi5's course structure: the course and its one AU, which moves on when completed. */
function cmi5Structure(s: PackageSpec): string {
  const base = `${s.toolUrl}/packages/${s.packageId}`;
  const title = { langstring: { '@lang': 'und', '#text': s.lesson.title } };
  return document({
    courseStructure: {
      '@xmlns': 'https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd',
      course: { '@id': `${base}/course`, title, description: title },
      au: {
        '@id': `${base}/au`,
        '@moveOn': 'Completed',
        '@launchMethod': 'AnyWindow',
        title,
        description: title,
        url: 'index.html',
      },
    },
  });
}

/**
 * A lesson as a SCORM 1.2 or cmi5 package (a zip): the manifest or course structure at its root, the
 * launch page and its scripts. Nothing of the lesson's media is inside: the launch page opens the
 * player from the tool, which streams it with signed URLs and keeps the learner's progress.
 */
export function buildPackage(s: PackageSpec): Uint8Array {
  const scripts = s.format === 'cmi5' ? ['cmi5.umd.js', 'launch.js'] : ['launch.js'];
  const files: Record<string, Uint8Array> = {
    'index.html': strToU8(launchPage(s, scripts)),
    'launch.js': LAUNCH_JS,
    ...(s.format === 'cmi5' && { 'cmi5.umd.js': CMI5_JS }),
  };
  if (s.format === 'cmi5') files['cmi5.xml'] = strToU8(cmi5Structure(s));
  else files['imsmanifest.xml'] = strToU8(scorm12Manifest(s, Object.keys(files)));
  return zipSync(files, { level: 9, mtime: new Date('2026-01-01T00:00:00Z') });
}
