// Free-login inside DingTalk: ask the DingTalk JSAPI for an auth code for this organisation, then post
// it (with the page's state) so the tool can find out who this is and open the lesson.
(function () {
  var form = document.getElementById('dingtalk-login');
  var show = function (id) {
    document.getElementById('dingtalk-status').hidden = true;
    document.getElementById(id).hidden = false;
  };
  var dd = window.dd;
  if (!dd || !dd.env || dd.env.platform === 'notInDingTalk') return show('dingtalk-outside');
  var ask = {
    corpId: form.elements.corpId.value,
    clientId: form.elements.clientId.value,
    onSuccess: function (result) {
      form.elements.code.value = result.code;
      form.submit();
    },
    onFail: function () {
      show('dingtalk-failed');
    },
  };
  dd.ready(function () {
    // The current JSAPI (3.1.0) has dd.requestAuthCode; older clients only the historical form.
    if (typeof dd.requestAuthCode === 'function') dd.requestAuthCode(ask);
    else dd.runtime.permission.requestAuthCode(ask);
  });
})();
