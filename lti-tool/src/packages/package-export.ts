import type { Logger } from 'pino';
import type { LessonSummary } from '../lessons/lesson-repository.js';
import { ApiError } from '../web/api-error.js';
import { buildPackage } from './package-builder.js';
import type { PackageFormat, PackageRepository } from './package-repository.js';

/** An exported package: its id (to withdraw it), the zip, and a file name for the download. */
export interface ExportedPackage {
  readonly id: string;
  readonly zip: Buffer;
  readonly fileName: string;
}

/** A file name for the download: the title's letters and digits, whatever its script. */
const fileName = (title: string, format: string): string =>
  `${
    title
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'lesson'
  }-${format}.zip`;

/**
 * Exports a published lesson (the API's and the admin page's one way to): a package of its own, with
 * a fresh token, built for the tool at `toolUrl`. A lesson not yet published is refused (409).
 */
export async function exportLesson(
  d: { packages: PackageRepository; toolUrl: string; log: Logger },
  lesson: LessonSummary & { tenantId: string },
  format: PackageFormat,
  by: string,
): Promise<ExportedPackage> {
  if (!lesson.publishedRenderId)
    throw ApiError.of('CONFLICT', 'Publish the lesson first: a package plays its published version.', {
      problem: 'not-published',
    });
  const pkg = await d.packages.create({ tenantId: lesson.tenantId, lessonId: lesson.id, format }, by);
  const zip = buildPackage({
    packageId: pkg.id,
    token: pkg.token,
    format,
    lesson: { id: lesson.id, title: lesson.title },
    toolUrl: d.toolUrl,
  });
  d.log.info(
    { event: 'package', tenantId: lesson.tenantId, lessonId: lesson.id, packageId: pkg.id, format, by },
    'lesson exported',
  );
  return { id: pkg.id, zip: Buffer.from(zip), fileName: fileName(lesson.title, format) };
}
