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
  dd.ready(function () {
    dd.runtime.permission.requestAuthCode({
      corpId: form.elements.corpId.value,
      onSuccess: function (result) {
        form.elements.code.value = result.code;
        form.submit();
      },
      onFail: function () {
        show('dingtalk-failed');
      },
    });
  });
})();
