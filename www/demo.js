import init, { uploadFile } from '../pkg/partwise.js';

const $ = (id) => document.getElementById(id);
const status = (text, kind = '') => { $('status').textContent = text; $('status').className = kind; };
const sizeText = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);

const [config] = await Promise.all([fetch('/dev/config').then((r) => r.json()), init()]);
$('target').textContent = `Bucket “${config.bucket}” at ${config.endpoint}`;
status('Ready.');

$('file').addEventListener('change', () => {
  const file = $('file').files[0];
  $('file-label').textContent = file ? `${file.name} · ${sizeText(file.size)}` : 'Choose a file to upload';
  $('upload').disabled = !file;
});

$('upload').addEventListener('click', async () => {
  const file = $('file').files[0];
  $('upload').disabled = true;
  status(`Uploading ${file.name}…`);
  const started = performance.now();
  try {
    const etag = await uploadFile({ ...config, key: `demo/${file.name}` }, file);
    const seconds = (performance.now() - started) / 1000;
    status(`Uploaded ${sizeText(file.size)} in ${seconds.toFixed(1)} s · ETag ${etag}`, 'ok');
  } catch (error) {
    status(`Upload failed: ${error.message}`, 'error');
  } finally {
    $('upload').disabled = false;
  }
});
