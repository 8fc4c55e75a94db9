// A Virtual Tutor lesson inside an LMS without LTI: this page is the package's SCO (SCORM 1.2) or AU
// (cmi5). It opens the lesson's player from the tool in a frame, for the learner the LMS names, and
// reports what the player says (watched, completed, the grade) to the LMS in its own terms. The
// player itself reports watching to the tool, so the tool's dashboard, questions and webhooks work
// as they do for LTI learners.
(function () {
  'use strict';
  const body = document.body;
  const tool = body.dataset.tool;
  const token = body.dataset.token;
  const format = body.dataset.format;
  const frame = document.getElementById('lesson');
  const status = document.getElementById('status');
  const finish = document.getElementById('finish');
  const say = (text) => (status.textContent = text);
  const zh = /^zh/i.test(navigator.language || '');
  const text = {
    noLms: zh
      ? '找不到学习平台（LMS）的接口：请从 LMS 中打开本课程。'
      : 'The LMS could not be found: open this lesson from your LMS.',
    completed: zh ? '已完成，成绩已报告给学习平台。' : 'Completed: your LMS has your result.',
    failed: zh ? '无法向学习平台报告：' : 'Your LMS could not be told: ',
  };

  /** Opens the player for this learner (the LMS's id for them, and their name when it gives one). */
  function open(learner, name) {
    const url = new URL(`${tool}/packages/${encodeURIComponent(token)}/play`);
    url.searchParams.set('learner', learner);
    if (name) url.searchParams.set('name', name);
    url.searchParams.set('lang', zh ? 'zh' : 'en');
    frame.src = url.toString();
  }

  /** What the player posts: { type: 'virtual-tutor:standing', coverage, completed, grade }. */
  function onStanding(handle) {
    window.addEventListener('message', (e) => {
      if (e.origin !== new URL(tool).origin || e.source !== frame.contentWindow) return;
      const s = e.data;
      if (s && s.type === 'virtual-tutor:standing') handle(s);
    });
  }

  // SCORM 1.2 (Run-Time Environment, API discovery as the specification gives it): the LMS's API
  // object is on a parent frame, or on the window that opened this one.
  function findApi(win) {
    for (let tries = 0; win && tries < 8; tries++) {
      if (win.API) return win.API;
      if (win.parent === win) break;
      win = win.parent;
    }
    return null;
  }

  function scorm12() {
    const api = findApi(window) || (window.opener && findApi(window.opener));
    if (!api || api.LMSInitialize('') !== 'true') return say(text.noLms);
    const started = Date.now();
    let finished = false;
    const status0 = api.LMSGetValue('cmi.core.lesson_status');
    if (status0 === 'not attempted' || status0 === '')
      api.LMSSetValue('cmi.core.lesson_status', 'incomplete');
    api.LMSCommit('');
    let completed = status0 === 'completed' || status0 === 'passed';
    onStanding((s) => {
      if (finished) return;
      const raw = String(Math.round(Math.max(0, Math.min(1, s.grade)) * 100));
      api.LMSSetValue('cmi.core.score.min', '0');
      api.LMSSetValue('cmi.core.score.max', '100');
      api.LMSSetValue('cmi.core.score.raw', raw);
      if (s.completed && !completed) {
        completed = true;
        api.LMSSetValue('cmi.core.lesson_status', 'completed');
        say(text.completed);
      }
      api.LMSCommit('');
    });
    const end = () => {
      if (finished) return;
      finished = true;
      const sec = Math.round((Date.now() - started) / 1000);
      const hh = String(Math.floor(sec / 3600)).padStart(2, '0');
      const mm = String(Math.floor((sec % 3600) / 60)).padStart(2, '0');
      const ss = String(sec % 60).padStart(2, '0');
      api.LMSSetValue('cmi.core.session_time', `${hh}:${mm}:${ss}`);
      api.LMSSetValue('cmi.core.exit', completed ? '' : 'suspend');
      api.LMSCommit('');
      api.LMSFinish('');
    };
    window.addEventListener('pagehide', end);
    finish.addEventListener('click', end);
    open(api.LMSGetValue('cmi.core.student_id'), api.LMSGetValue('cmi.core.student_name'));
  }

  // cmi5 (the AU's side, by the xAPI.js cmi5 library): launch parameters from the URL, the LMS's
  // launch data, then initialized; completed (and passed or failed, where the LMS set a mastery
  // score) when the lesson is complete; terminated when the learner finishes.
  async function cmi5() {
    const Cmi5 = window.Cmi5;
    if (!Cmi5 || !Cmi5.isCmiAvailable) return say(text.noLms);
    const au = new Cmi5();
    try {
      await au.initialize();
    } catch (e) {
      return say(text.failed + e.message);
    }
    const actor = au.getLaunchParameters().actor;
    const learner = actor.account ? `${actor.account.homePage}|${actor.account.name}` : actor.mbox || '';
    let completed = false;
    let terminated = false;
    onStanding((s) => {
      if (!s.completed || completed || au.getLaunchData().launchMode !== 'Normal') return;
      completed = true;
      const scaled = Math.max(0, Math.min(1, s.grade));
      au.moveOn({
        score: { scaled, raw: Math.round(scaled * 100), min: 0, max: 100 },
        disableSendTerminated: true,
      }).then(
        () => say(text.completed),
        (e) => say(text.failed + e.message),
      );
    });
    finish.addEventListener('click', async () => {
      if (terminated) return;
      terminated = true;
      finish.disabled = true;
      try {
        await au.terminate();
      } catch (e) {
        return say(text.failed + e.message);
      }
      const back = au.getLaunchData().returnURL;
      if (back) window.location.assign(back);
    });
    open(learner, actor.name);
  }

  if (format === 'cmi5') void cmi5();
  else scorm12();
})();
