/**
 * A modal dialog on the native `<dialog>` element: `showModal()` makes the rest of the page inert,
 * Tab and Shift-Tab cycle inside it (never out to the page or the browser), Escape closes it, and
 * focus returns to what opened it.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { CapabilityDiff } from '../../api-types.js';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Keeps Tab inside `dialog`: from the last control to the first, and back. */
function trapTab(e: KeyboardEvent, dialog: HTMLDialogElement): void {
  if (e.key !== 'Tab') return;
  const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
  const first = items[0];
  const last = items.at(-1);
  if (!first || !last) return;
  const active = document.activeElement;
  if (e.shiftKey && (active === first || !dialog.contains(active))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (active === last || !dialog.contains(active))) {
    e.preventDefault();
    first.focus();
  }
}

export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; id?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const dialog = ref.current!;
    dialog.showModal();
    const first = dialog.querySelector<HTMLElement>('[autofocus], input, select, textarea, button:not(.dialog-close)');
    first?.focus();
    return () => {
      if (dialog.open) dialog.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="dialog-title"
      id={props.id}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
      onKeyDown={(e) => trapTab(e, ref.current!)}
    >
      <header class="dialog-head">
        <h2 id="dialog-title">{props.title}</h2>
        <button type="button" class="dialog-close" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </header>
      {props.children}
    </dialog>
  );
}

/** What a change of version does to the grants: added (needs approval), removed, changed. */
export function DiffView(props: { diff: CapabilityDiff; from: string | null; to: string }) {
  const { added, removed, changed } = props.diff;
  const none = added.length + removed.length + changed.length === 0;
  return (
    <section class="diff" aria-label="Capability changes">
      <p>
        Capabilities: <strong>{props.from ?? '(nothing deployed)'}</strong> → <strong>{props.to}</strong>
      </p>
      {none ? (
        <p class="diff-none">No change in grants.</p>
      ) : (
        <ul class="diff-list">
          {added.map((c) => (
            <li class="diff-added" key={`a${c.capability}${c.grant}`}>
              + {c.capability}: {c.grant}
            </li>
          ))}
          {removed.map((c) => (
            <li class="diff-removed" key={`r${c.capability}${c.grant}`}>
              − {c.capability}: {c.grant}
            </li>
          ))}
          {changed.map((c) => (
            <li class="diff-changed" key={`c${c.capability}${c.grant}`}>
              ~ {c.capability}: {c.grant}
            </li>
          ))}
        </ul>
      )}
      {added.length > 0 && <p class="warn">This grants new capabilities: confirming approves them.</p>}
    </section>
  );
}
