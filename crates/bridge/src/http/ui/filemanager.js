// The file manager page: every call carries the launch token in X-Launch-Token (never a
// cookie: this page lives in Moodle's iframe). Plain JavaScript, nothing fetched from elsewhere.
(function () {
  'use strict';

  var cfg = JSON.parse(document.getElementById('launch-config').textContent);
  var token = cfg.token;
  var base = cfg.base;
  var $ = function (id) { return document.getElementById(id); };
  var learners = [];
  var current = null; // the learner shown
  var files = []; // their Moodle files

  function notice(text) {
    var n = $('notice');
    n.textContent = text;
    n.hidden = !text;
  }

  function size(bytes) {
    if (bytes < 1024) return bytes + ' B';
    var units = ['KB', 'MB', 'GB', 'TB'];
    var v = bytes / 1024, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
    return v.toFixed(v < 10 ? 1 : 0) + ' ' + units[i];
  }

  function date(seconds) {
    return new Date(seconds * 1000).toLocaleString();
  }

  function cell(row, text, cls) {
    var td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  async function api(method, path, body, headers) {
    var init = { method: method, headers: Object.assign({ 'X-Launch-Token': token }, headers || {}) };
    if (body !== undefined) {
      init.body = typeof body === 'string' || body instanceof FormData ? body : JSON.stringify(body);
      if (!(body instanceof FormData)) init.headers['Content-Type'] = 'application/json';
    }
    var response = await fetch(base + path.replace(/^\//, ''), init);
    var data = null;
    var text = await response.text();
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (response.status === 401) {
      token = null;
      $('app').hidden = true;
      notice('This session has ended. Open the tool from Moodle again.');
      throw new Error('session ended');
    }
    if (!response.ok) {
      throw new Error((data && data.error) || ('the bridge answered ' + response.status));
    }
    return data;
  }

  // --- Learners and their Moodle files -------------------------------------------------

  async function loadLearners() {
    var select = $('learner');
    try {
      learners = await api('GET', '/get_learners?course_id=' + encodeURIComponent(cfg.course_id));
    } catch (e) {
      select.innerHTML = '';
      select.appendChild(new Option('Learners cannot be listed: ' + e.message, ''));
      return;
    }
    select.innerHTML = '';
    select.appendChild(new Option(learners.length ? 'Pick a learner…' : 'No learners in this course', ''));
    learners.forEach(function (l) {
      select.appendChild(new Option(l.fullname + (l.email ? ' (' + l.email + ')' : ''), String(l.id)));
    });
    select.disabled = learners.length === 0;
  }

  async function loadFiles() {
    var id = $('learner').value;
    $('refresh-learner').disabled = !id;
    $('moodle-files').hidden = true;
    $('moodle-empty').hidden = true;
    $('private-note').hidden = true;
    $('copy').disabled = true;
    current = id ? Number(id) : null;
    if (!id) return;
    $('copy-status').textContent = 'Loading files…';
    var answer;
    try {
      answer = await api('GET', '/get_user_files/' + id + '?course_id=' + encodeURIComponent(cfg.course_id));
    } catch (e) {
      $('copy-status').textContent = 'Files cannot be listed: ' + e.message;
      return;
    }
    $('copy-status').textContent = '';
    files = answer.files;
    if (!answer.private_files.available) {
      $('private-note').textContent = 'Private files are not shown: ' + answer.private_files.reason + '.';
      $('private-note').hidden = false;
    }
    var body = $('moodle-files').querySelector('tbody');
    body.innerHTML = '';
    files.forEach(function (f) {
      var row = document.createElement('tr');
      var box = document.createElement('input');
      box.type = 'checkbox';
      box.value = f.key;
      box.setAttribute('aria-label', 'Select ' + f.name);
      box.addEventListener('change', updateCopyButton);
      row.appendChild(document.createElement('td')).appendChild(box);
      cell(row, f.name, 'name');
      cell(row, size(f.size), 'num');
      cell(row, f.type);
      cell(row, date(f.modified));
      cell(row, f.location);
      cell(row, f.stored_file_id ? 'yes' : '');
      body.appendChild(row);
    });
    $('select-all').checked = false;
    $('moodle-files').hidden = files.length === 0;
    $('moodle-empty').hidden = files.length !== 0;
  }

  function selectedKeys() {
    return Array.prototype.map.call(
      $('moodle-files').querySelectorAll('tbody input:checked'), function (b) { return b.value; });
  }

  function updateCopyButton() {
    $('copy').disabled = selectedKeys().length === 0;
  }

  async function copySelected() {
    var keys = selectedKeys();
    if (!keys.length || current === null) return;
    $('copy').disabled = true;
    $('copy-status').textContent = 'Copying ' + keys.length + ' file' + (keys.length === 1 ? '' : 's') + '…';
    var outcome;
    try {
      var answer = await api('POST', '/copy_moodle_files', { user_id: current, course_id: cfg.course_id, files: keys });
      var ok = answer.results.filter(function (r) { return r.ok; }).length;
      var failed = answer.results.filter(function (r) { return !r.ok; });
      outcome = ok + ' copied' + (failed.length
        ? ', ' + failed.length + ' failed: ' + failed.map(function (r) { return r.error.message; }).join('; ')
        : '.');
    } catch (e) {
      outcome = 'Copy failed: ' + e.message;
    }
    // Reloading the list resets its status line: say what happened after that.
    await Promise.all([loadFiles(), loadStored()]);
    $('copy-status').textContent = outcome;
  }

  // --- Uploads -------------------------------------------------------------------------

  function upload(file) {
    var item = document.createElement('li');
    var label = document.createElement('span');
    label.textContent = file.name + ' (' + size(file.size) + ')';
    var bar = document.createElement('progress');
    bar.max = 100;
    bar.value = 0;
    var state = document.createElement('span');
    state.className = 'status';
    item.append(label, bar, state);
    $('uploads').appendChild(item);
    return new Promise(function (resolve) {
      var form = new FormData();
      form.append('course_id', String(cfg.course_id));
      form.append('files', file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open('POST', base + 'upload_files');
      xhr.setRequestHeader('X-Launch-Token', token);
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      };
      xhr.onload = function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        if (xhr.status === 200 || xhr.status === 201) {
          bar.value = 100;
          state.textContent = 'stored';
          item.classList.add('done');
        } else {
          state.textContent = 'failed: ' + ((data && data.error) || xhr.status);
          item.classList.add('failed');
        }
        resolve();
      };
      xhr.onerror = function () {
        state.textContent = 'failed: the connection broke';
        item.classList.add('failed');
        resolve();
      };
      xhr.send(form);
    });
  }

  async function uploadAll(list) {
    var chosen = Array.prototype.slice.call(list);
    for (var i = 0; i < chosen.length; i += 1) {
      await upload(chosen[i]);
    }
    await loadStored();
  }

  // --- Stored files --------------------------------------------------------------------

  function confirmDelete(name) {
    return new Promise(function (resolve) {
      $('confirm-text').textContent = 'Delete “' + name + '” from the bridge? This cannot be undone.';
      $('confirm').hidden = false;
      $('confirm-no').focus();
      function done(answer) {
        $('confirm').hidden = true;
        $('confirm-yes').onclick = null;
        $('confirm-no').onclick = null;
        resolve(answer);
      }
      $('confirm-yes').onclick = function () { done(true); };
      $('confirm-no').onclick = function () { done(false); };
    });
  }

  async function loadStored() {
    var list;
    try {
      list = await api('GET', '/list_uploaded_files');
    } catch (e) {
      notice('Stored files cannot be listed: ' + e.message);
      return;
    }
    var body = $('stored-files').querySelector('tbody');
    body.innerHTML = '';
    list.forEach(function (f) {
      var row = document.createElement('tr');
      row.dataset.id = f.id;
      cell(row, f.name, 'name');
      cell(row, size(f.size), 'num');
      cell(row, f.content_type);
      cell(row, new Date(f.created_at).toLocaleString());
      cell(row, f.moodle ? f.moodle.location : 'upload');
      cell(row, f.sha256.slice(0, 12) + '…', 'hash').title = f.sha256;
      var actions = cell(row, '', 'actions');
      var link = document.createElement('a');
      link.href = f.download_url;
      link.textContent = 'Download';
      link.className = 'download';
      link.setAttribute('download', f.name);
      var del = document.createElement('button');
      del.type = 'button';
      del.className = 'danger small delete';
      del.textContent = 'Delete';
      del.addEventListener('click', async function () {
        if (!(await confirmDelete(f.name))) return;
        try {
          await api('DELETE', '/delete_file/' + encodeURIComponent(f.id));
        } catch (e) {
          notice('Not deleted: ' + e.message);
        }
        await Promise.all([loadStored(), loadFiles()]);
      });
      actions.append(link, ' ', del);
      body.appendChild(row);
    });
    $('stored-files').hidden = list.length === 0;
    $('stored-empty').hidden = list.length !== 0;
  }

  // --- Start ---------------------------------------------------------------------------

  // With LTI platform storage (and no cookie), the state and nonce this browser stored at
  // login must be in the platform's frame; otherwise the launch was not started here.
  function checkPlatformStorage(check) {
    if (!check) return Promise.resolve(true);
    var frame = check.target === '_parent' ? window.parent : window.parent.frames[check.target];
    function get(key) {
      return new Promise(function (resolve) {
        var id = Math.random().toString(36).slice(2);
        function answer(event) {
          if (event.origin !== check.origin || !event.data || event.data.message_id !== id) return;
          window.removeEventListener('message', answer);
          resolve(event.data.error ? null : event.data.value);
        }
        window.addEventListener('message', answer);
        frame.postMessage({ subject: 'lti.get_data', message_id: id, key: key }, check.origin);
        setTimeout(function () { resolve(null); }, 3000);
      });
    }
    return Promise.all([get(check.state_key), get(check.nonce_key)]).then(function (v) {
      return v[0] === check.state && v[1] === check.nonce;
    });
  }

  async function start() {
    var ok = await checkPlatformStorage(cfg.storage_check);
    if (!ok) {
      token = null;
      notice('This launch was not started in this browser. Open the tool from Moodle again.');
      return;
    }
    $('who').textContent = (cfg.user_name ? cfg.user_name + ' · ' : '') + 'course ' + cfg.course_id;
    $('app').hidden = false;
    $('learner').addEventListener('change', loadFiles);
    $('refresh-learner').addEventListener('click', loadFiles);
    $('copy').addEventListener('click', copySelected);
    $('select-all').addEventListener('change', function (e) {
      $('moodle-files').querySelectorAll('tbody input').forEach(function (b) { b.checked = e.target.checked; });
      updateCopyButton();
    });
    $('upload-input').addEventListener('change', function (e) {
      uploadAll(e.target.files).then(function () { e.target.value = ''; });
    });
    var drop = $('drop');
    ['dragenter', 'dragover'].forEach(function (name) {
      drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add('over'); });
    });
    ['dragleave', 'drop'].forEach(function (name) {
      drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.remove('over'); });
    });
    drop.addEventListener('drop', function (e) { uploadAll(e.dataTransfer.files); });
    drop.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('upload-input').click(); }
    });
    await Promise.all([loadLearners(), loadStored()]);
    // Download links carry tickets valid for five minutes: keep them fresh.
    setInterval(function () { if (token) loadStored(); }, 240000);
    document.body.dataset.ready = 'true';
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
