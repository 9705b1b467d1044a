/**
 * Project, as far as this subgraph knows it: an id and its chat sessions. Another subgraph owns
 * the rest (its name, say); the router resolves a Project here from its key alone.
 */
import { builder, CONNECTION_LIST_SIZE, UPSTREAM_CALL_COST } from './builder.js';
import { ChatSessionConnection, resolveChatSessions } from './chat-sessions.js';

interface Project {
  id: string;
}

export const ProjectRef = builder.objectRef<Project>('Project').implement({
  description:
    'A LlamaCloud project. This API contributes its chat sessions; other subgraphs may add more fields.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The project UUID.' }),
    chatSessions: t.field({
      type: ChatSessionConnection,
      nullable: true,
      cost: UPSTREAM_CALL_COST,
      listSize: CONNECTION_LIST_SIZE,
      description:
        'Chat sessions of this project: the same forward-only connection as `Query.chatSessions(projectId: id)`, whose cursors it shares.',
      args: {
        first: t.arg.int({
          description:
            'How many sessions to return (0 to MAX_PAGE_SIZE, default DEFAULT_PAGE_SIZE).',
        }),
        after: t.arg.string({
          description: 'Return sessions after this cursor (an edge cursor or endCursor).',
        }),
      },
      resolve: (project, args, ctx) => resolveChatSessions({ ...args, projectId: project.id }, ctx),
    }),
  }),
});

// Everything here derives from the id, so resolving a reference needs no upstream call.
builder.asEntity(ProjectRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: (ref) => ({ id: ref.id }),
});
