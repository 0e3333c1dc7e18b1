import type { Me } from "../api/types";
import { useToast } from "../components/Toasts";
import { mayApprove } from "../lib/approval";
import { useLiveEvents } from "./LiveContext";
import type { LiveEvent } from "./socket";

/** The toast a live event deserves for this user, if any: assigned to them, or their approval asked. */
export function toastFor(event: LiveEvent, me: Me): { text: string; link: string; tone: "info" | "warning" } | null {
  const incident = (event.data.incident ?? {}) as { title?: string; assigned_to?: string | null };
  const title = incident.title ?? "an incident";
  const link = event.incident_id ? `/incidents/${event.incident_id}` : "/incidents";
  if (event.type === "assignment" && incident.assigned_to === me.id && event.data.actor !== me.id) {
    return { text: `Assigned to you: ${title}`, link, tone: "info" };
  }
  if (event.type === "approval.requested") {
    const after = (event.data.after ?? {}) as { approval?: { required_role?: string | null } };
    const required = after.approval?.required_role;
    if (mayApprove(me.role, required)) {
      return { text: `Approval requested: ${title}`, link, tone: "warning" };
    }
  }
  return null;
}

export function useLiveToasts(me: Me): void {
  const show = useToast();
  useLiveEvents((event) => {
    const toast = toastFor(event, me);
    if (toast) show(toast);
  });
}
