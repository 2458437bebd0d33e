import { existsSync } from 'node:fs';
import { AppError, type Logger } from '@crypto-predict/core';
import type {
  ChatHistoryItem,
  GbnfJsonSchema,
  Llama,
  LlamaChatSession,
  LlamaContext,
  LlamaGrammar,
  LlamaModel,
} from 'node-llama-cpp';
import type { ChatMessage } from '../../domain/llm-prompt.js';
import type { LlmBackend, LlmRequest } from './llm-backend.js';

export interface LlamaSettings {
  modelPath: string;
  /** Parallel sequences in one context; each holds its own conversation. */
  sequences: number;
  contextSize: number;
  threads: number;
  log: Logger;
}

interface Slot {
  session: LlamaChatSession;
  busy: boolean;
}

/**
 * A local GGUF model run in-process on the CPU by node-llama-cpp (llama.cpp). The answer is
 * constrained by a grammar built from the answer's JSON Schema, so it always parses. Each slot
 * keeps its chat session; the system prompt and examples are the same on every call, so
 * llama.cpp reuses their evaluated tokens and only the news item itself is evaluated afresh.
 */
export class LlamaBackend implements LlmBackend {
  readonly kind = 'llama';
  readonly model: string;
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private readonly waiting: Array<(slot: Slot) => void> = [];

  private constructor(
    private readonly llama: Llama,
    private readonly llamaModel: LlamaModel,
    private readonly context: LlamaContext,
    private readonly slots: Slot[],
    modelName: string,
  ) {
    this.model = modelName;
  }

  static async load(settings: LlamaSettings): Promise<LlamaBackend> {
    if (!existsSync(settings.modelPath)) {
      throw new AppError(
        'MODEL_UNAVAILABLE',
        `no GGUF model at ${settings.modelPath}; run services/sentiment-extractor/scripts/fetch-model.sh llm`,
        {
          retryable: false,
        },
      );
    }
    try {
      const { getLlama, LlamaChatSession } = await import('node-llama-cpp');
      // CPU only, prebuilt binaries only: nothing is downloaded or compiled at run time.
      const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: 'error' as never });
      const model = await llama.loadModel({ modelPath: settings.modelPath });
      const context = await model.createContext({
        contextSize: settings.contextSize,
        sequences: settings.sequences,
        threads: settings.threads,
      });
      const slots: Slot[] = [];
      for (let i = 0; i < settings.sequences; i += 1) {
        slots.push({ session: new LlamaChatSession({ contextSequence: context.getSequence() }), busy: false });
      }
      const name = model.fileInfo.metadata.general.name ?? settings.modelPath.split('/').pop() ?? 'gguf';
      settings.log.info(
        { model: name, path: settings.modelPath, sequences: settings.sequences, contextSize: context.contextSize },
        'local LLM loaded',
      );
      return new LlamaBackend(llama, model, context, slots, `gguf:${settings.modelPath.split('/').pop() ?? name}`);
    } catch (error) {
      throw new AppError('MODEL_UNAVAILABLE', `cannot load the GGUF model ${settings.modelPath}`, {
        cause: error,
        retryable: false,
      });
    }
  }

  async complete(request: LlmRequest, signal: AbortSignal): Promise<string> {
    const slot = await this.acquire(signal);
    try {
      const grammar = await this.grammarFor(request.schema);
      const { history, prompt } = toHistory(request.messages);
      slot.session.setChatHistory(history);
      return await slot.session.prompt(prompt, {
        grammar,
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        signal,
        stopOnAbortSignal: false,
      });
    } catch (error) {
      if (signal.aborted) throw new AppError('TIMEOUT', 'local LLM call aborted', { cause: error });
      throw new AppError('MODEL_UNAVAILABLE', 'local LLM call failed', { cause: error });
    } finally {
      this.release(slot);
    }
  }

  /**
   * A free sequence, waiting for one if all are busy. An aborted call frees its sequence only
   * when llama.cpp notices the abort, so later calls queue here rather than fail.
   */
  private acquire(signal: AbortSignal): Promise<Slot> {
    const free = this.slots.find((candidate) => !candidate.busy);
    if (free !== undefined) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise<Slot>((resolve, reject) => {
      const waiter = (slot: Slot): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(slot);
      };
      const onAbort = (): void => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new AppError('TIMEOUT', 'timed out waiting for a free LLM sequence'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next === undefined) slot.busy = false;
    else next(slot);
  }

  async close(): Promise<void> {
    for (const slot of this.slots) slot.session.dispose();
    await this.context.dispose();
    await this.llamaModel.dispose();
    await this.llama.dispose();
  }

  private grammarFor(schema: Record<string, unknown>): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (grammar === undefined) {
      grammar = this.llama.createGrammarForJsonSchema(withShortReason(schema) as GbnfJsonSchema & { const: string });
      this.grammars.set(key, grammar);
      // Targets vary with the coins of each item; keep the map from growing without bound.
      if (this.grammars.size > 512) {
        const oldest = this.grammars.keys().next();
        if (oldest.done !== true) this.grammars.delete(oldest.value);
      }
    }
    return grammar;
  }
}

/** Chat messages → node-llama-cpp history (all but the last user turn) and the last user turn. */
function toHistory(messages: readonly ChatMessage[]): { history: ChatHistoryItem[]; prompt: string } {
  const last = messages[messages.length - 1];
  if (last === undefined || last.role !== 'user')
    throw new AppError('INTERNAL', 'an LLM request ends with a user message');
  const history: ChatHistoryItem[] = messages.slice(0, -1).map((message) => {
    if (message.role === 'system') return { type: 'system', text: message.content };
    if (message.role === 'user') return { type: 'user', text: message.content };
    return { type: 'model', response: [message.content] };
  });
  return { history, prompt: last.content };
}

/** The grammar caps the reason's length: a tiny model otherwise rambles until maxTokens. */
function withShortReason(schema: Record<string, unknown>): unknown {
  return JSON.parse(JSON.stringify(schema), (key: string, value: unknown) => {
    if (key === 'reason' && typeof value === 'object' && value !== null) return { ...value, maxLength: 60 };
    return value;
  }) as unknown;
}
