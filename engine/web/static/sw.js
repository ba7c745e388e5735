/* Keeps the exam page's files on the device, so a reload without a network still opens the
   exam (the answers and the paper are in localStorage). Only the page and its versioned files
   are handled; every API call goes to the network untouched. */
'use strict';
// named after every file's version: any change to one of them renews the whole cache
var CACHE = 'ujian-{{asset:student.js}}{{asset:student-id.js}}{{asset:student-en.js}}{{asset:queue.js}}{{asset:mathml.js}}{{asset:i18n.js}}';
var FILES = ['/', '{{asset:student.css}}', '{{asset:student.js}}', '{{asset:mathml.js}}', '{{asset:i18n.js}}',
  '{{asset:student-id.js}}', '{{asset:student-en.js}}', '{{asset:queue.js}}'];

self.addEventListener('install', function (e) {
  e.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(FILES); }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener('activate', function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener('fetch', function (e) {
  var url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname === '/') {
    // the page: the network's copy when there is one (and keep it), else the kept one
    e.respondWith(fetch(e.request).then(function (r) {
      if (r.ok) { var copy = r.clone(); caches.open(CACHE).then(function (c) { c.put('/', copy); }); }
      return r;
    }).catch(function () { return caches.match('/'); }));
  } else if (url.pathname.indexOf('/static/') === 0 && url.search.indexOf('v=') >= 0) {
    e.respondWith(caches.match(e.request).then(function (hit) { return hit || fetch(e.request); }));
  }
});
