// Posts the signed deep-linking response back to the platform at once (the button is the fallback).
document.getElementById('deep-link-response').submit();
