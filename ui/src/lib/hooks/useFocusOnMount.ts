// A panel that replaces the button that opened it takes the keyboard focus, so it is not lost to the page.
import { useEffect, useRef } from "react";

export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => ref.current?.focus(), []);
  return ref;
}
