// The live preview in the bot builder: the real widget (the same code as widget.js) in preview mode, in its own
// shadow root, updated as the settings change.
import { useEffect, useRef } from 'preact/hooks';
import type { WidgetConfig } from '../widget/config';
import { ChatWidget } from '../widget/widget';

export function WidgetPreview({ config }: { config: WidgetConfig }) {
  const host = useRef<HTMLDivElement>(null);
  const widget = useRef<ChatWidget | null>(null);
  useEffect(() => {
    if (!host.current) return;
    if (!widget.current) {
      const shadow = host.current.shadowRoot ?? host.current.attachShadow({ mode: 'open' });
      widget.current = new ChatWidget(shadow, config, { preview: true });
    } else {
      widget.current.setConfig(config);
    }
  }, [config]);
  return <div class="preview-frame" ref={host} aria-label="Widget preview" role="img" />;
}
