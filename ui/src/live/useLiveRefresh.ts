import { useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { useLiveEvents } from "./LiveContext";
import type { LiveEvent } from "./socket";

/** Refetches `keys` after live events that `concerns` accepts, at most once per `delayMs` in a burst. */
export function useLiveRefresh(keys: QueryKey[], concerns: (event: LiveEvent) => boolean, delayMs = 300): void {
  const queryClient = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latestKeys = useRef(keys);
  latestKeys.current = keys;
  useLiveEvents((event) => {
    if (!concerns(event) || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      for (const key of latestKeys.current) void queryClient.invalidateQueries({ queryKey: key });
    }, delayMs);
  });
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
}
