// The parts of @met4citizen/headaudio (MIT) we use from Node: its audio-worklet processor runs as a
// plain class when given a stand-in for the worklet port, and Training decodes the model's records.
declare module '@met4citizen/headaudio/modules/processor.mjs' {
  export interface HeadAudioMessage {
    event: string;
    viseme?: number;
    t?: number;
    d?: number;
  }
  export interface HeadAudioWorklet {
    port: { onmessage: unknown; postMessage(message: HeadAudioMessage): void };
  }
  export class Processor {
    constructor(
      options: { sampleRate: number; processorOptions?: object; parameterData?: Record<string, number> },
      worklet?: HeadAudioWorklet,
    );
    _onmessage(message: { data: { event: string; model?: unknown } }): void;
    process(samples: Float32Array): void;
  }
}
declare module '@met4citizen/headaudio/modules/training.mjs' {
  export class Training {
    decodeBinaryRecord(record: Float32Array): { viseme: number; group: number; phoneme: string };
  }
}
declare module '@met4citizen/headaudio/modules/parameters.mjs' {
  export const RECORD_OFFSET: number;
  export const RECORD_LEN: number;
  export const MODEL_VISEME_SIL: number;
}
