// Dynamic registration is done: tell the LMS window that opened us (a popup or an iframe) to close it.
(window.opener || window.parent).postMessage({ subject: 'org.imsglobal.lti.close' }, '*');
