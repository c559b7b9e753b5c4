/*! Rendezvous loader: mounts the booking widget on every .rendezvous element. See docs/embedding.md */
(function (w, d) {
  'use strict';

  // A page may queue calls before this file arrives by pasting this stub first:
  //   window.Rendezvous = window.Rendezvous || function () { (Rendezvous.q = Rendezvous.q || []).push(arguments) }
  var stub = w.Rendezvous;
  if (stub && stub.version) return; // the loader was included twice: the first one rules

  var script = d.currentScript;
  // Everything is served next to this file, so hosting under a path prefix works too.
  var base = new URL('.', script && script.src || location.href).href;
  // The server replaces this placeholder with the plugin's content hash (SPEC 7, "never stale").
  var version = '__RENDEZVOUS_VERSION__';
  var seen = new WeakSet();
  var widget;

  function warn(message, detail) {
    console.warn('Rendezvous: ' + message, detail === undefined ? '' : detail);
  }

  function load() {
    return widget || (widget = import(base + 'plugin/' + version + '/widget.js'));
  }

  function call(command, el, options) {
    load().then(function (m) {
      m[command](el, options);
    }, function (e) {
      // The fallback link inside the element stays: the page still works without us.
      warn('could not load the widget', e);
    });
  }

  function scan() {
    var found = d.querySelectorAll('.rendezvous');
    for (var i = 0; i < found.length; i++) {
      if (!seen.has(found[i])) {
        seen.add(found[i]);
        call('mount', found[i]);
      }
    }
  }

  function run(command, a, b) {
    if (command === 'on') {
      if (typeof a !== 'string' || typeof b !== 'function') return warn('usage: Rendezvous("on", "ready", handler)');
      // Events bubble and are composed, so one listener on the document hears every widget.
      return d.addEventListener(a.indexOf('rendezvous:') ? 'rendezvous:' + a : a, b);
    }
    if (command === 'mount' || command === 'unmount') {
      var el = typeof a === 'string' ? d.querySelector(a) : a;
      if (!el || el.nodeType !== 1) return warn(command + ': not an element', a);
      seen.add(el);
      return call(command, el, b);
    }
    warn('unknown command', command);
  }

  function Rendezvous() {
    run.apply(null, arguments);
  }
  Rendezvous.version = version;
  w.Rendezvous = Rendezvous;

  var queue = stub && stub.q || [];
  for (var i = 0; i < queue.length; i++) run.apply(null, queue[i]);

  scan();
  new MutationObserver(scan).observe(d.documentElement, { childList: true, subtree: true });
})(window, document);
