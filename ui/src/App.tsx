import { Suspense } from "react";
import { Route, Routes } from "react-router";
import { useAuth } from "./auth/AuthContext";
import { Loading, Notice } from "./components/states";
import { AppLayout } from "./layout/AppLayout";
import { LiveProvider } from "./live/LiveContext";
import { LoginPage } from "./pages/LoginPage";
import { ROUTES } from "./routes";

export function App() {
  const { state, can } = useAuth();
  if (state.status === "loading") return <Loading what="your session" />;
  if (state.status === "signed-out") return <LoginPage reason={state.reason} />;
  return (
    <LiveProvider>
      <Routes>
        <Route element={<AppLayout />}>
          {ROUTES.map(({ path, page: Page, permission }) => (
            <Route
              key={path}
              path={path}
              element={
                can(permission) ? (
                  <Suspense fallback={<Loading what="the page" />}>
                    <Page />
                  </Suspense>
                ) : (
                  <Notice title="Not for your role">Your role may not open this page.</Notice>
                )
              }
            />
          ))}
          <Route path="*" element={<Notice title="Page not found">There is no page at this address; use the menu.</Notice>} />
        </Route>
      </Routes>
    </LiveProvider>
  );
}
