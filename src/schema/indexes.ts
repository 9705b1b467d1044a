/**
 * Index: a LlamaCloud index, owned by another subgraph. This one only hands out references
 * (`@key(fields: "id", resolvable: false)`), so a session's indexes can be joined there.
 */
import { builder } from './builder.js';
import { ChatSessionRef } from './chat-session.js';

interface Index {
  id: string;
}

export const IndexRef = builder.objectRef<Index>('Index').implement({
  description:
    'A LlamaCloud index a chat session searches. Only its id is known here; an indexes subgraph can contribute the rest.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The index id (e.g. "idx-abc123").' }),
  }),
});

builder.asEntity(IndexRef, {
  key: builder.keyDirective(builder.selection<{ id: string }>('id'), false),
  // Never called: the key is not resolvable here, so Index is not in this subgraph's _entities.
  resolveReference: (ref) => ref,
});

builder.objectField(ChatSessionRef, 'indexes', (t) =>
  t.field({
    type: [IndexRef],
    nullable: true,
    description:
      'The indexes the session is bound to, as Index references (same order as indexIds); null on unbound sessions.',
    resolve: (session) => session.indexIds?.map((id) => ({ id })) ?? null,
  }),
);
