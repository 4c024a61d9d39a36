// The demo: uploads the chosen file with the public API, exactly as an app would: temporary
// credentials from the (development) backend, progress, pause/resume, cancel, resume after reload.
import { createUploader, preload } from '../pkg/index.js';

const $ = (id) => document.getElementById(id);
const status = (text, kind = '') => { $('status').textContent = text; $('status').className = kind; };
const sizeText = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);

const [config] = await Promise.all([fetch('/dev/config').then((r) => r.json()), preload()]);
const uploader = createUploader({
  ...config,
  credentials: () => fetch('/credentials').then((r) => r.json()),
});
$('target').textContent = `Bucket “${config.bucket}” at ${config.endpoint}`;
const waiting = await uploader.checkpoints();
status(waiting.length ? `Ready. ${waiting.length} unfinished upload(s) will resume when you choose the same file.` : 'Ready.');

let task = null;

$('file').addEventListener('change', () => {
  const file = $('file').files[0];
  $('file-label').textContent = file ? `${file.name} · ${sizeText(file.size)}` : 'Choose a file to upload';
  $('upload').disabled = !file || task !== null;
});

$('upload').addEventListener('click', async () => {
  const file = $('file').files[0];
  $('upload').disabled = true;
  $('pause').hidden = $('cancel').hidden = $('bar').hidden = false;
  $('pause').textContent = 'Pause';
  status(`Uploading ${file.name}…`);
  task = uploader.upload(file, { key: `demo/${file.name}` });
  task.addEventListener('progress', ({ detail: p }) => {
    $('bar').value = p.total ? p.loaded / p.total : 0;
    const eta = p.etaSeconds == null ? '' : ` · ${Math.ceil(p.etaSeconds)} s left`;
    status(`${sizeText(p.loaded)} of ${sizeText(p.total)} · part ${p.partsDone}/${p.partsTotal} · ${sizeText(p.bytesPerSecond)}/s${eta}`);
  });
  task.addEventListener('retry', ({ detail: r }) => status(`Retrying part ${r.partNumber ?? ''} in ${r.delayMs} ms: ${r.error.message}`));
  task.addEventListener('statechange', ({ detail }) => {
    $('pause').textContent = detail.state === 'paused' ? 'Resume' : 'Pause';
    if (detail.state === 'paused') status('Paused.');
  });
  try {
    const done = await task.done;
    $('bar').value = 1;
    status(`Uploaded ${sizeText(done.size)} in ${done.parts} part(s) · ETag ${done.etag}`, 'ok');
  } catch (error) {
    status(error.code === 'Aborted' ? 'Cancelled.' : `Upload failed (${error.code}${error.providerCode ? ` ${error.providerCode}` : ''}): ${error.message}`, error.code === 'Aborted' ? '' : 'error');
  } finally {
    task = null;
    $('pause').hidden = $('cancel').hidden = true;
    $('upload').disabled = !$('file').files[0];
  }
});

$('pause').addEventListener('click', () => {
  if (!task) return;
  if (task.state === 'paused') task.resume(); else task.pause();
});
$('cancel').addEventListener('click', () => task?.abort());
