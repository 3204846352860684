// Picking a component (.wasm) by file picker or drag and drop, and
// uploading it with progress: PUT /admin/actions/{name} with the bytes.
import { useRef, useState, useSyncExternalStore } from 'react';
import { Button, Group, Input, Progress, Text } from '@mantine/core';
import type { paths } from '../api/admin';
import { ProblemError, type Problem } from '../api/problem';
import { session } from '../auth';
import { bytes } from '../resources/util';

type UploadAnswer = paths['/actions/{name}']['put']['responses']['201']['content']['application/json'];

/** Upload progress, 0–100, or null when no upload runs. */
let progress: number | null = null;
const listeners = new Set<() => void>();
function setProgress(p: number | null) {
  progress = p;
  listeners.forEach((l) => l());
}
function useProgress() {
  return useSyncExternalStore(
    (l) => (listeners.add(l), () => listeners.delete(l)),
    () => progress,
  );
}

/** Uploads `file` as a new version of action `name` (created when new). */
export function uploadComponent(name: string, file: File): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    // XMLHttpRequest, not fetch: only it reports upload progress.
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/admin/actions/${encodeURIComponent(name)}`);
    xhr.setRequestHeader('Content-Type', 'application/wasm');
    const token = session.accessToken();
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && setProgress((100 * e.loaded) / e.total);
    xhr.onload = () => {
      setProgress(null);
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as UploadAnswer);
      else {
        if (xhr.status === 401) session.expired();
        reject(new ProblemError((body as Problem) ?? { status: xhr.status, detail: xhr.statusText }));
      }
    };
    xhr.onerror = () => {
      setProgress(null);
      reject(new ProblemError({ title: 'Network error', detail: 'the upload did not reach the server' }));
    };
    setProgress(0);
    xhr.send(file);
  });
}

interface Props {
  label: string;
  description?: string;
  file: File | undefined;
  onChange: (file: File | undefined) => void;
  disabled?: boolean;
}

/** A drop zone and a file picker for one .wasm file. */
export function UploadField({ label, description, file, onChange, disabled }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const uploading = useProgress();
  return (
    <Input.Wrapper label={label} description={description}>
      <div
        className="drop-zone"
        data-over={over}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const dropped = e.dataTransfer.files[0];
          if (dropped) onChange(dropped);
        }}
      >
        <Group justify="center" gap="sm">
          <Text size="sm">{file ? `${file.name} (${bytes(file.size)})` : 'Drop a .wasm component here, or'}</Text>
          <Button size="xs" variant="light" disabled={disabled} onClick={() => input.current?.click()}>
            Choose a file
          </Button>
        </Group>
        <input
          ref={input}
          type="file"
          name="wasm"
          accept=".wasm,application/wasm"
          hidden
          onChange={(e) => onChange(e.currentTarget.files?.[0])}
        />
        {uploading !== null && <Progress value={uploading} mt="sm" aria-label="Upload progress" animated />}
      </div>
    </Input.Wrapper>
  );
}
