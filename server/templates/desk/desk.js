// The desk works without JavaScript; this only adds copy buttons beside read-only links
// (invite links, the calendar feed's address). A button `data-copy="ID"` copies the
// value of the input ID and says so in the element `data-copied="ID"` (role=status).
(function () {
  'use strict';
  function copied(id, text) {
    var status = document.querySelector('[data-copied="' + id + '"]');
    if (status) status.textContent = text;
  }
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var id = button.getAttribute('data-copy');
    var input = document.getElementById(id);
    if (!input || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(input.value).then(
        function () { copied(id, document.documentElement.getAttribute('data-copied-text') || '✓'); },
        function () { input.select(); }
      );
    });
  });
})();
