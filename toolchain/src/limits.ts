/** Lambda's limit for a zip uploaded directly; above it Ferrule ships a container image (ADR-002). */
export const ZIP_LIMIT_BYTES = 50 * 1024 * 1024;
/** Lambda's limit for the unzipped deployment package. */
export const UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;
/** Ferrule's own budget per function: 3 MB zipped. */
export const ZIP_BUDGET_BYTES = 3 * 1024 * 1024;

/** Whether Lambda would refuse the zip, so that it must ship as a container image. */
export function exceedsZipLimits(sizes: {
  readonly zippedBytes: number;
  readonly unzippedBytes: number;
}): boolean {
  return sizes.zippedBytes > ZIP_LIMIT_BYTES || sizes.unzippedBytes > UNZIPPED_LIMIT_BYTES;
}
