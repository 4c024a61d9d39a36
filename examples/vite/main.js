// The smallest app: pick a file, upload it with temporary credentials from your backend.
// Build-time settings (Vite reads VITE_* from the environment or a .env file):
//   VITE_PARTWISE_ENDPOINT     the store, such as https://s3.us-east-1.amazonaws.com
//   VITE_PARTWISE_BUCKET       the bucket
//   VITE_PARTWISE_REGION       default us-east-1
//   VITE_PARTWISE_BACKEND      your backend, which answers GET /credentials
import { createUploader } from 'partwise';

const env = import.meta.env;
const backend = env.VITE_PARTWISE_BACKEND ?? '';
const uploader = createUploader({
  endpoint: env.VITE_PARTWISE_ENDPOINT,
  bucket: env.VITE_PARTWISE_BUCKET,
  region: env.VITE_PARTWISE_REGION ?? 'us-east-1',
  credentials: async () => (await fetch(`${backend}/credentials`)).json(),
});

const input = document.querySelector('#file');
const progress = document.querySelector('#progress');
const status = document.querySelector('#status');

input.addEventListener('change', async () => {
  const file = input.files[0];
  if (!file) return;
  const task = uploader.upload(file, { key: `vite-example/${file.name}` });
  task.addEventListener('progress', ({ detail }) => {
    progress.value = detail.total ? detail.loaded / detail.total : 1;
    status.textContent = `${detail.partsDone} of ${detail.partsTotal} parts`;
  });
  try {
    const result = await task.done;
    status.textContent = `Uploaded ${result.key} (${result.size} bytes, ${result.parts} parts)`;
    status.dataset.state = 'complete';
  } catch (error) {
    status.textContent = `Failed: ${error.code}: ${error.message}`;
    status.dataset.state = 'error';
  }
});
