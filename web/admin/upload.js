// Upload: a CSV or workbook, dropped or chosen. Small files go in the body of POST /uploads; larger
// ones straight to S3 with the presigned form of POST /uploads/presign. The job is then polled
// (GET /jobs/{id}) until it ends, with its counts and rejected rows; DELETE /jobs/{id} cancels it.
import { ApiError, formatBytes, h, table } from "../api.js";

/** POST /uploads takes up to 4 MB (the stage's max_direct_upload_bytes); above, a presigned POST */
export const DIRECT_UPLOAD_MAX_BYTES = 4 * 1024 * 1024;
const ACCEPT = ".csv,.tsv,.txt,.xlsx,.xlsm,.xls,.ods,.json,.jsonl,.ndjson";
const ACTIVE = new Set(["uploading", "uploaded", "processing"]);
const POLL_MS = 1000;
const STATUS_TEXT = {
  uploading: "Sending the file…",
  uploaded: "Uploaded: waiting for the splitter.",
  processing: "Processing.",
  completed: "Completed.",
  failed: "Failed.",
  cancelled: "Cancelled.",
};

/** The presigned form posted with XMLHttpRequest: fetch cannot report upload progress. */
function postForm(url, fields, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    form.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new ApiError(xhr.status, `The storage refused the file (HTTP ${xhr.status}).`));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "The file could not be sent to the storage.")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "Sending the file was stopped.")));
    xhr.send(form);
  });
}

export const uploadView = {
  id: "upload",
  title: "Upload",
  admin: true,
  mount(root, { config, api, announce }) {
    const limit = Number(config.directUploadMaxBytes) || DIRECT_UPLOAD_MAX_BYTES;
    const input = h("input", { id: "upload-file", type: "file", accept: ACCEPT, class: "file-input", "aria-describedby": "upload-hint" });
    const zone = h(
      "div",
      { class: "dropzone", id: "dropzone" },
      h("label", { for: "upload-file", text: "Choose a CSV or workbook" }),
      input,
      h("p", { id: "upload-hint", class: "hint", text: "…or drop it here. CSV or TSV, xlsx, xlsm, xls, ods, JSON or JSON Lines; every worksheet is read. The upload starts at once." }),
    );
    const statusLine = h("p", { id: "job-status", class: "job-status", "aria-live": "polite" });
    const sent = h("progress", { id: "send-progress", max: "1", value: "0", "aria-label": "File sent" });
    const batches = h("progress", { id: "batch-progress", max: "1", value: "0", "aria-label": "Batches done" });
    const counts = h("dl", { class: "counts", id: "job-counts" });
    const cancel = h("button", { type: "button", class: "danger", id: "cancel-job", text: "Cancel this upload", disabled: true });
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const rejected = h("div", { id: "rejections" });
    const progress = h(
      "section",
      { class: "card", "aria-labelledby": "progress-title", hidden: true },
      h("h2", { id: "progress-title", tabindex: "-1", text: "Progress" }),
      statusLine,
      h("div", { class: "bars" }, h("span", { class: "bar-label", text: "Sent" }), sent, h("span", { class: "bar-label", text: "Batches" }), batches),
      counts,
      h("div", { class: "actions" }, cancel),
      rejected,
    );
    root.append(
      h("h1", { text: "Upload leads" }),
      h("section", { class: "card", "aria-label": "Choose a file" }, zone, error),
      progress,
    );

    const state = { job: null, stop: null, lastStatus: null, busy: false };

    function showError(text) {
      error.textContent = text || "";
      error.hidden = !text;
    }

    function renderJob(job) {
      state.job = job;
      const status = job.status;
      progress.dataset.status = status;
      let line = `${job.filename}: ${STATUS_TEXT[status] || status}`;
      if (status === "failed" && job.error) line += ` ${job.error}`;
      statusLine.textContent = line;
      if (status !== "uploading") sent.value = 1;
      const total = job.batches_total || 0;
      batches.max = Math.max(1, total);
      batches.value = Math.min(job.batches_done || 0, Math.max(1, total));
      if (status === "completed") batches.value = batches.max;
      const pairs = [
        ["Status", status],
        ["Rows", job.rows_total],
        ["Batches", total ? `${job.batches_done} of ${total}` : `${job.batches_done}`],
        ["Stored", job.leads_stored],
        ["Rejected", job.rows_rejected],
        ["Duplicates", job.leads_duplicate],
      ];
      counts.replaceChildren(
        ...pairs.map(([k, v]) => h("div", {}, h("dt", { text: k }), h("dd", { "data-count": k.toLowerCase(), text: String(v ?? 0) }))),
      );
      cancel.disabled = !ACTIVE.has(status);
      const rows = [...(job.rejections || [])].sort(
        (a, b) => String(a.worksheet || "").localeCompare(String(b.worksheet || "")) || a.row - b.row,
      );
      if (rows.length) {
        const shown = rows.length < (job.rows_rejected || 0) ? ` (the first ${rows.length} of ${job.rows_rejected})` : "";
        rejected.replaceChildren(
          table(`Rejected rows${shown}`, [
            ["Worksheet", (r) => r.worksheet || "(the file)"],
            ["Row", (r) => String(r.row)],
            ["Reason", (r) => r.reason],
          ], rows),
        );
      } else {
        rejected.replaceChildren(
          ACTIVE.has(status) ? "" : h("p", { class: "empty", text: "No rejected rows." }),
        );
      }
      if (status !== state.lastStatus) {
        state.lastStatus = status;
        if (!ACTIVE.has(status)) announce(`Upload ${status}: ${job.leads_stored} stored, ${job.rows_rejected} rejected, ${job.leads_duplicate} duplicates.`);
      }
    }

    async function poll() {
      const jobId = state.job && state.job.job_id;
      if (!jobId) return;
      try {
        const job = await api.get(`/jobs/${encodeURIComponent(jobId)}`);
        if (!state.job || state.job.job_id !== jobId) return;
        renderJob(job);
        showError("");
        if (!ACTIVE.has(job.status)) {
          stopPolling();
          state.busy = false;
          input.disabled = false;
        } else {
          state.timer = window.setTimeout(poll, POLL_MS);
        }
      } catch (e) {
        showError(`Progress could not be read: ${e.message} Retrying…`);
        state.timer = window.setTimeout(poll, POLL_MS * 3);
      }
    }

    function stopPolling() {
      if (state.timer) window.clearTimeout(state.timer);
      state.timer = null;
    }

    async function upload(file) {
      if (state.busy) {
        showError("An upload is in progress: wait for it to end or cancel it.");
        return;
      }
      showError("");
      state.busy = true;
      input.disabled = true;
      stopPolling();
      state.lastStatus = null;
      rejected.replaceChildren();
      counts.replaceChildren();
      sent.value = 0;
      batches.value = 0;
      progress.hidden = false;
      statusLine.textContent = `${file.name} (${formatBytes(file.size)}): sending…`;
      announce(`Uploading ${file.name}.`);
      try {
        let job = null;
        if (file.size <= limit) {
          try {
            job = await api.postBody("/uploads", file, {
              query: { filename: file.name },
              headers: { "Content-Type": "application/octet-stream" },
            });
            sent.value = 1;
          } catch (e) {
            if (!(e instanceof ApiError) || e.status !== 413) throw e;
          }
        }
        if (!job) {
          progress.dataset.path = "presigned";
          const presigned = await api.post("/uploads/presign", { filename: file.name, size: file.size });
          renderJob({ job_id: presigned.job_id, filename: file.name, status: "uploading" });
          statusLine.textContent = `${file.name} (${formatBytes(file.size)}): sending straight to storage…`;
          await postForm(presigned.upload.url, presigned.upload.fields, file, (share) => {
            sent.value = share;
          });
          sent.value = 1;
          job = await api.get(`/jobs/${encodeURIComponent(presigned.job_id)}`);
        } else {
          progress.dataset.path = "direct";
        }
        renderJob(job);
        progress.querySelector("h2").focus();
        poll();
      } catch (e) {
        state.busy = false;
        input.disabled = false;
        statusLine.textContent = `${file.name}: not uploaded.`;
        showError(e.message);
      }
    }

    input.addEventListener("change", () => {
      const [file] = input.files || [];
      if (file) upload(file);
      input.value = "";
    });
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      const [file] = event.dataTransfer ? event.dataTransfer.files : [];
      if (file) upload(file);
    });
    cancel.addEventListener("click", async () => {
      if (!state.job) return;
      cancel.disabled = true;
      try {
        renderJob(await api.delete(`/jobs/${encodeURIComponent(state.job.job_id)}`));
        announce("Upload cancelled.");
      } catch (e) {
        showError(e.message);
        cancel.disabled = false;
      }
    });

    return () => {
      stopPolling();
      state.job = null;
    };
  },
};
