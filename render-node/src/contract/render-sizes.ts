/**
 * The output sizes each engine renders, written as Live Avatar writes them ("width*height"), for the
 * tool (which offers them) and the engines (which render them): part of the contract.
 */

/**
 * The preview engine: the two landscape sizes Live Avatar's documentation names (688*368 standard,
 * 384*256 preview), the same frames turned for phones and DingTalk, and 720p. Every dimension is
 * even, as yuv420p requires.
 */
export const PREVIEW_SIZES = ['688*368', '384*256', '368*688', '256*384', '1280*720', '720*1280'] as const;

/** The Live Avatar model: the sizes whose area fits its pipelines' fixed conditioning cache (largest first). */
export const LIVEAVATAR_SIZES = ['720*400', '704*384', '688*368', '384*256'] as const;
