// Short notices for live events that concern the signed-in user; announced to screen readers.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { Link } from "react-router";

export interface Toast {
  id: number;
  text: string;
  link?: string;
  tone?: "info" | "warning";
}

const ToastContext = createContext<(toast: Omit<Toast, "id">) => void>(() => {});
let nextId = 1;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const show = useCallback(
    (toast: Omit<Toast, "id">) => {
      const id = nextId++;
      setToasts((all) => [...all.slice(-4), { ...toast, id }]);
      setTimeout(() => dismiss(id), 10_000);
    },
    [dismiss],
  );
  const value = useMemo(() => show, [show]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div aria-live="polite" className="fixed right-4 bottom-4 z-50 flex w-80 max-w-[calc(100vw-2rem)] flex-col gap-2">
        {toasts.map((toast) => (
          <div
            key={toast.id}
            role="status"
            className={`rounded-md border p-3 text-sm shadow-lg ${
              toast.tone === "warning" ? "border-amber-400 bg-amber-50 text-amber-950" : "border-indigo-300 bg-white text-slate-900"
            }`}
          >
            <div className="flex items-start justify-between gap-2">
              {toast.link ? (
                <Link to={toast.link} className="font-medium underline" onClick={() => dismiss(toast.id)}>
                  {toast.text}
                </Link>
              ) : (
                <span>{toast.text}</span>
              )}
              <button type="button" aria-label="Dismiss" className="px-1 text-slate-600" onClick={() => dismiss(toast.id)}>
                ×
              </button>
            </div>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): (toast: Omit<Toast, "id">) => void {
  return useContext(ToastContext);
}
