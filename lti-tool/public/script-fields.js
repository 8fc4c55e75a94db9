// A script to be spoken (the studio's new lesson, the player's language versions): the speakers of the
// chosen language, the length against the limit, "Preview speech", and what went wrong, said in the
// author's language.
import { $, api, say } from './lti-client.js';

export function scriptFields() {
  let speech = { voices: [], maxScriptChars: 20000 };
  const showVoices = () => {
    const language = $('language').value;
    $('voice').replaceChildren(
      ...speech.voices.filter((v) => v.language === language).map((v) => new Option(v.label, v.id)),
    );
  };
  api('/api/speech/voices')
    .then((res) => res.json())
    .then((body) => {
      speech = body;
      $('script').maxLength = speech.maxScriptChars;
      showVoices();
    })
    .catch(() => {});
  $('language').addEventListener('change', showVoices);
  $('script').addEventListener('input', () => {
    $('script-count').textContent = `${$('script').value.length} / ${speech.maxScriptChars}`;
  });

  /** What went wrong with a script (or any refused request), in the author's language. */
  const problem = (body) => {
    if (body.problem === 'empty')
      return say(
        'The script has nothing to say: write at least one sentence.',
        '讲稿中没有可朗读的内容：请至少写一句话。',
      );
    if (body.problem === 'too-long')
      return say(
        `The script is too long (at most ${speech.maxScriptChars} characters). Split it into several lessons.`,
        `讲稿过长（最多 ${speech.maxScriptChars} 个字符），请拆分为多个课程。`,
      );
    if (body.problem === 'no-speech')
      return say(
        'No speech was heard in the recording to time the transcript against.',
        '录音中没有检测到语音，无法对齐文字稿。',
      );
    if (body.problem === 'speech-unavailable')
      return say(
        'Speech synthesis failed just now; nothing was saved. Try again shortly.',
        '语音合成暂时失败，未保存任何内容。请稍后再试。',
      );
    return (body.problems || [body.error]).join(' ');
  };

  const narration = () => ({
    script: $('script').value,
    language: $('language').value,
    voice: $('voice').value,
  });

  $('preview-speech').addEventListener('click', async () => {
    const status = $('speech-status');
    const button = $('preview-speech');
    const audio = $('speech-preview');
    button.disabled = true;
    status.textContent = say('Speaking the script…', '正在朗读讲稿…');
    try {
      const res = await api('/api/speech/preview', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(narration()),
      });
      const body = await res.json();
      if (!res.ok) return void (status.textContent = problem(body));
      const wav = await api(`/api/assets/${body.audio}`);
      audio.src = URL.createObjectURL(await wav.blob());
      audio.hidden = false;
      const minutes = `${Math.floor(body.durationSec / 60)}:${String(Math.round(body.durationSec % 60)).padStart(2, '0')}`;
      status.textContent = say(
        `${minutes} · ${body.sentences} sentences (${body.synthesized} newly spoken) · ${body.chapters.length} chapters`,
        `${minutes} · ${body.sentences} 句（新合成 ${body.synthesized} 句）· ${body.chapters.length} 个章节`,
      );
      status.dataset.previewed = 'true';
    } catch (err) {
      status.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });

  return { narration, problem };
}
