import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { ApiClient, ApiError } from "../api/client";
import type { Me, TokenPair } from "../api/types";
import { SessionStore } from "./session";

type AuthState =
  | { status: "loading" }
  | { status: "signed-out"; reason?: string }
  | { status: "signed-in"; me: Me };

interface Auth {
  state: AuthState;
  api: ApiClient;
  session: SessionStore;
  login(email: string, password: string): Promise<void>;
  logout(): Promise<void>;
  can(permission: string): boolean;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children, api }: { children: ReactNode; api: ApiClient }) {
  const [state, setState] = useState<AuthState>({ status: "loading" });
  const session = api.session;

  const loadMe = useCallback(async () => {
    if (!session.tokens()) {
      setState({ status: "signed-out" });
      return;
    }
    try {
      // A stale access token is refreshed by the client: the session survives a reload.
      const me = await api.get<Me>("/api/users/me");
      setState({ status: "signed-in", me });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setState({ status: "signed-out" });
      else setState({ status: "signed-out", reason: err instanceof Error ? err.message : String(err) });
    }
  }, [api, session]);

  useEffect(() => {
    void loadMe();
    // Signed out in another tab (or the refresh token was refused): leave here too.
    return session.subscribe((tokens) => {
      if (tokens === null) setState({ status: "signed-out" });
    });
  }, [loadMe, session]);

  const login = useCallback(
    async (email: string, password: string) => {
      const pair = await api.post<TokenPair>("/api/auth/login", { email, password });
      session.save(pair);
      await loadMe();
    },
    [api, session, loadMe],
  );

  const logout = useCallback(async () => {
    try {
      await api.post("/api/auth/logout");
    } catch {
      // Signed out here whatever the server said; its tokens expire on their own.
    }
    session.clear();
  }, [api, session]);

  const value = useMemo<Auth>(
    () => ({
      state,
      api,
      session,
      login,
      logout,
      can: (permission) => state.status === "signed-in" && state.me.permissions.includes(permission),
    }),
    [state, api, session, login, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}

export function useMe(): Me {
  const { state } = useAuth();
  if (state.status !== "signed-in") throw new Error("useMe while signed out");
  return state.me;
}

export function useApi(): ApiClient {
  return useAuth().api;
}
