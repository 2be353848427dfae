import { z } from 'zod';
import { defineInstrument as defineExtension, method } from '@symphony/sdk/runtime';
import { createChatClient } from '../chat.js';
import { CHAT_MANIFEST } from '../manifests.js';
import { openTokenRing } from '../token-ring.js';

const ChatInputSchema = z.strictObject({
  baseUrl: z.url(),
  model: z.string().min(1),
  /** Falls back to the SYMPHONY_CHAT_API_KEY environment variable. */
  apiKey: z.string().optional(),
  messages: z.array(z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })).min(1),
  maxTokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  timeoutMs: z.number().int().positive().optional(),
  retries: z.number().int().min(0).max(10).optional(),
  backoffMs: z.number().int().min(0).optional(),
  /** A RingChannel buffer from the host (`callStreaming`): each token is written there as it arrives. */
  tokens: z.instanceof(SharedArrayBuffer).optional(),
});

/** symphony.chat: `complete(request)` → `{ text, finishReason, tokens, attempts }`. */
export default defineExtension({
  manifest: CHAT_MANIFEST,
  methods: {
    complete: method({ input: ChatInputSchema, description: 'A chat completion, streamed token by token into the `tokens` ring when one is given.' }, async (input, ctx) => {
      const sink = input.tokens ? openTokenRing(input.tokens) : undefined;
      try {
        const apiKey = input.apiKey ?? process.env.SYMPHONY_CHAT_API_KEY;
        const client = createChatClient({
          baseUrl: input.baseUrl,
          model: input.model,
          ...(apiKey ? { apiKey } : {}),
          ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
          ...(input.retries !== undefined ? { retries: input.retries } : {}),
          ...(input.backoffMs !== undefined ? { backoffMs: input.backoffMs } : {}),
        });
        return await client.complete({
          messages: input.messages,
          signal: ctx.signal,
          ...(input.maxTokens ? { maxTokens: input.maxTokens } : {}),
          ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
          ...(sink ? { onToken: (t: string) => sink.write(t) } : {}),
        });
      } finally {
        // Every token is in the ring before the reply goes out. Best effort: if the host stopped
        // reading, the call's own outcome is what matters.
        await sink?.end(ctx.signal).catch(() => {});
      }
    }),
  },
});
