import { createContext, lazy, Suspense, useContext, useId, type FormEvent, type ReactNode } from 'react';
import { isHandlerRef, type PropValue, type UiEvent, type VChild, type VirtualNode } from '@symphony/vdom';
import { Alert } from '../components/ui/alert';
import { Badge, type BadgeTone } from '../components/ui/badge';
import { Button, type ButtonVariant } from '../components/ui/button';
import { Card } from '../components/ui/card';
import { Chart } from '../components/ui/chart';
import { Checkbox, Field, Input, Select, Switch, Textarea } from '../components/ui/fields';
import { Graph, type GraphNode } from '../components/ui/graph';
import { CodeBlock, Progress, Separator } from '../components/ui/misc';

// Radix (tabs, tooltips) and the dialog load on first use, not with the first screen.
const Tabs = lazy(() => import('../components/ui/radix').then((m) => ({ default: m.Tabs })));
const Dialog = lazy(() => import('../components/ui/dialog').then((m) => ({ default: m.Dialog })));
const Tooltip = lazy(() => import('../components/ui/radix').then((m) => ({ default: m.Tooltip })));
import { Table } from '../components/ui/table';
import { cn } from '../lib/cn';

/** Sends an event for a handler ref back to the extension that owns it. */
type Fire = (handler: string, event: UiEvent) => void;
const FireContext = createContext<Fire>(() => {});

/** Renders a vdom tree with the component allowlist; an unknown type shows a visible notice. */
export function VdomTree({ tree, fire }: { tree: VirtualNode; fire: Fire }) {
  return <FireContext.Provider value={fire}>{renderChild(tree, 0)}</FireContext.Provider>;
}

function renderChild(child: VChild, index: number): ReactNode {
  if (typeof child === 'string') return child;
  return <VNode key={child.key ?? `${child.type}-${index}`} node={child} />;
}

const kids = (node: VirtualNode) => node.children.map(renderChild);
const str = (v: PropValue | undefined) => (typeof v === 'string' ? v : undefined);
const num = (v: PropValue | undefined) => (typeof v === 'number' ? v : undefined);

/** Named form fields as a submit event's `values` (checkboxes as booleans). */
function formValues(form: HTMLFormElement): Record<string, PropValue> {
  const values: Record<string, PropValue> = {};
  for (const el of Array.from(form.elements) as HTMLInputElement[]) {
    if (!el.name) continue;
    values[el.name] = el.type === 'checkbox' ? el.checked : el.value;
  }
  return values;
}

function VNode({ node }: { node: VirtualNode }) {
  const fire = useContext(FireContext);
  const id = useId();
  const p = node.props;
  const on = (name: string) => (isHandlerRef(p[name]) ? (event: UiEvent) => fire((p[name] as { $handler: string }).$handler, event) : undefined);

  switch (node.type) {
    case 'Stack': {
      const row = p.direction === 'row';
      const align = { start: 'flex-start', center: 'center', end: 'flex-end', stretch: 'stretch' }[str(p.align) ?? 'stretch'];
      return <div className={cn('flex', row ? 'flex-row' : 'flex-col', p.wrap === true && 'flex-wrap')} style={{ gap: `${(num(p.gap) ?? 2) * 0.25}rem`, alignItems: align }}>{kids(node)}</div>;
    }
    case 'Grid':
      return <div className="grid" style={{ gridTemplateColumns: `repeat(${num(p.columns) ?? 1}, minmax(0, 1fr))`, gap: `${(num(p.gap) ?? 3) * 0.25}rem` }}>{kids(node)}</div>;
    case 'Card':
      return <Card title={str(p.title)} description={str(p.description)}>{kids(node)}</Card>;
    case 'Heading': {
      const level = num(p.level) ?? 2;
      const Tag = (['h2', 'h2', 'h3', 'h4', 'h5'] as const)[level] ?? 'h3';
      return <Tag className={cn('font-semibold tracking-tight', level <= 1 ? 'text-2xl' : level === 2 ? 'text-xl' : level === 3 ? 'text-base' : 'text-sm')}>{kids(node)}</Tag>;
    }
    case 'Text': {
      const tone = { default: '', muted: 'text-muted-foreground', success: 'text-success-fg', warning: 'text-warning-fg', destructive: 'text-destructive-fg' }[str(p.tone) ?? 'default'];
      return <p className={cn('text-sm', tone, p.mono === true && 'font-mono')}>{kids(node)}</p>;
    }
    case 'Button': {
      const click = on('onClick');
      return (
        <Button variant={(str(p.variant) as ButtonVariant) ?? 'default'} size={(str(p.size) as 'sm' | 'md' | 'lg') ?? 'md'} type={p.type === 'submit' ? 'submit' : 'button'}
          disabled={p.disabled === true} onClick={click ? () => click({ type: 'click' }) : undefined}>
          {kids(node)}
        </Button>
      );
    }
    case 'Form': {
      const submit = on('onSubmit');
      return (
        <form className="flex flex-col gap-3" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); submit?.({ type: 'submit', values: formValues(e.currentTarget) }); }}>
          {kids(node)}
        </form>
      );
    }
    case 'Input': case 'Textarea': {
      const change = on('onChange');
      const common = { id, name: str(p.name), placeholder: str(p.placeholder), defaultValue: str(p.value), onChange: change ? (e: { target: { value: string } }) => change({ type: 'change', value: e.target.value }) : undefined };
      return (
        <Field label={str(p.label)} htmlFor={id}>
          {node.type === 'Input'
            ? <Input {...common} type={str(p.type) ?? 'text'} disabled={p.disabled === true} />
            : <Textarea {...common} rows={num(p.rows) ?? 3} />}
        </Field>
      );
    }
    case 'Select': {
      const change = on('onChange');
      const options = (p.options as Array<{ value: string; label: string }>) ?? [];
      return (
        <Field label={str(p.label)} htmlFor={id}>
          <Select id={id} name={str(p.name)} defaultValue={str(p.value)} onChange={change ? (e) => change({ type: 'change', value: e.target.value }) : undefined}>
            {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </Select>
        </Field>
      );
    }
    case 'Checkbox': {
      const change = on('onChange');
      return <Checkbox id={id} name={str(p.name)} label={str(p.label)} defaultChecked={p.checked === true} onChange={change ? (e) => change({ type: 'change', value: e.target.checked }) : undefined} />;
    }
    case 'Switch': {
      const change = on('onChange');
      return <Switch id={id} name={str(p.name)} label={str(p.label)} defaultChecked={p.checked === true} onCheckedChange={change ? (v) => change({ type: 'change', value: v }) : undefined} />;
    }
    case 'Tabs': {
      const change = on('onChange');
      const tabs = node.children.filter((c): c is VirtualNode => typeof c !== 'string' && c.type === 'Tab')
        .map((t) => ({ value: str(t.props.value) ?? '', label: str(t.props.label) ?? '', content: <div className="flex flex-col gap-3">{kids(t)}</div> }));
      return <Suspense fallback={null}><Tabs value={str(p.value)} tabs={tabs} onValueChange={change ? (v) => change({ type: 'change', value: v }) : undefined} /></Suspense>;
    }
    case 'Table': {
      const click = on('onRowClick');
      return <Table columns={(p.columns as Array<{ key: string; label: string }>) ?? []} rows={(p.rows as Array<Record<string, string | number | boolean | null>>) ?? []}
        onRowClick={click ? (row, i) => click({ type: 'click', value: (row.id ?? i) as PropValue }) : undefined} />;
    }
    case 'Badge':
      return <Badge tone={(str(p.tone) as BadgeTone) ?? 'default'}>{kids(node)}</Badge>;
    case 'Alert':
      return <Alert tone={(str(p.tone) as 'default') ?? 'default'} title={str(p.title)}>{kids(node)}</Alert>;
    case 'Progress':
      return <Progress value={num(p.value) ?? 0} label={str(p.label)} tone={str(p.tone)} />;
    case 'Dialog': {
      const change = on('onOpenChange');
      return <Suspense fallback={null}><Dialog open={p.open === true} title={str(p.title) ?? ''} description={str(p.description)} onOpenChange={change ? (v) => change({ type: 'open-change', value: v }) : undefined}>{kids(node)}</Dialog></Suspense>;
    }
    case 'Tooltip':
      return <Suspense fallback={<span className="inline-flex">{kids(node)}</span>}><Tooltip content={str(p.content) ?? ''}>{kids(node)}</Tooltip></Suspense>;
    case 'Separator':
      return <Separator orientation={p.orientation === 'vertical' ? 'vertical' : 'horizontal'} />;
    case 'CodeBlock':
      return <CodeBlock code={str(p.code) ?? ''} language={str(p.language)} />;
    case 'Graph': {
      const click = on('onNodeClick');
      return <Graph nodes={(p.nodes as unknown as GraphNode[]) ?? []} edges={(p.edges as Array<{ from: string; to: string }>) ?? []} selected={str(p.selected)}
        onNodeClick={click ? (nodeId) => click({ type: 'click', value: nodeId }) : undefined} />;
    }
    case 'Chart':
      return <Chart kind={p.kind === 'line' ? 'line' : 'bar'} title={str(p.title)} data={(p.data as Array<{ label: string; value: number }>) ?? []} />;
    default:
      // The extension side validates against the same allowlist, so this means mismatched versions.
      return <Alert tone="warning" title={`Unsupported component ${node.type}`}>This front end cannot render it; update the app.</Alert>;
  }
}
