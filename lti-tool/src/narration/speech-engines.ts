import type { Logger } from 'pino';
import type { HttpFetch } from '../../../adapters/http-fetch.js';
import type { ToolConfig } from '../config.js';
import { CloudSpeechEngine } from './cloud-speech-engine.js';
import { EspeakEngine } from './espeak-engine.js';
import type { SpeechEngine } from './speech-engine.js';

/**
 * The speech engines this tool offers: eSpeak NG when installed (the offline default), and the cloud
 * service when VT_TTS_CLOUD_URL and VT_TTS_CLOUD_KEY are set. The tool runs without either; the studio
 * then offers recordings only.
 */
export async function speechEngines(
  config: ToolConfig,
  log: Logger,
  http: HttpFetch,
): Promise<SpeechEngine[]> {
  const engines: SpeechEngine[] = [];
  try {
    engines.push(await EspeakEngine.open());
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'no offline speech engine; scripts need the cloud engine');
  }
  if (config.VT_TTS_CLOUD_URL && config.VT_TTS_CLOUD_KEY)
    engines.push(new CloudSpeechEngine({ url: config.VT_TTS_CLOUD_URL, key: config.VT_TTS_CLOUD_KEY, http }));
  return engines;
}
