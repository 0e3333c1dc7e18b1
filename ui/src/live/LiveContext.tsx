import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useAuth } from "../auth/AuthContext";
import { LiveSocket, socketUrl, type LiveEvent, type LiveStatus } from "./socket";

type Listener = (event: LiveEvent) => void;

interface Live {
  status: LiveStatus;
  subscribe(listener: Listener): () => void;
}

const LiveContext = createContext<Live | null>(null);

/** One socket per signed-in tab; pages subscribe to its events. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const { session } = useAuth();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const listeners = useRef(new Set<Listener>());

  useEffect(() => {
    const socket = new LiveSocket({
      url: socketUrl(),
      token: async (fresh) => {
        const tokens = session.tokens();
        if (!tokens) return null;
        return fresh ? ((await session.refresh(tokens.access_token))?.access_token ?? null) : tokens.access_token;
      },
      onEvent: (event) => {
        for (const listener of listeners.current) listener(event);
      },
      onStatus: (next) => {
        setStatus(next);
        // Whatever happened before the socket was live is in the lists once they are fetched again.
        if (next === "live") void queryClient.invalidateQueries();
      },
      onRefused: () => session.clear(),
    });
    socket.start();
    const online = () => socket.reconnectNow();
    window.addEventListener("online", online);
    return () => {
      window.removeEventListener("online", online);
      socket.stop();
    };
  }, [session, queryClient]);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const value = useMemo<Live>(() => ({ status, subscribe }), [status, subscribe]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLiveStatus(): LiveStatus {
  const live = useContext(LiveContext);
  return live?.status ?? "stopped";
}

/** Calls `listener` for every live event while the component is mounted. */
export function useLiveEvents(listener: Listener): void {
  const live = useContext(LiveContext);
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => live?.subscribe((event) => latest.current(event)), [live]);
}
