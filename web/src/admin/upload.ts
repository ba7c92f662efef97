// Uploading a file with progress: fetch() reports no upload progress, XMLHttpRequest does.
import { ApiError } from './api';

export interface UploadResult {
  sources: { name: string; status: string; chunk_count: number; unchanged: boolean; warnings: string[]; document?: { status: string; error: string | null } }[];
  errors: { name: string; error: { code: string; message: string } }[];
}

export function uploadFile(botId: string, file: File, onProgress: (fraction: number) => void): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/v1/bots/${encodeURIComponent(botId)}/sources`);
    request.withCredentials = true;
    request.responseType = 'json';
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      const body = request.response;
      if (request.status >= 200 && request.status < 300) resolve(body as UploadResult);
      else reject(new ApiError(String(body?.error?.code ?? 'http_' + request.status), String(body?.error?.message ?? `Upload failed (${request.status})`), request.status));
    };
    request.onerror = () => reject(new ApiError('network', 'The upload was interrupted. Check your connection and try again.', 0));
    const form = new FormData();
    form.append('file', file, file.name);
    request.send(form);
  });
}
