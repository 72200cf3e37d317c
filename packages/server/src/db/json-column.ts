import { z } from 'zod'

/**
 * A row whose JSON column can't be read as its schema says (hand-edited, or damaged): a clear error naming the
 * column and the row, rather than a value with fields missing that fails somewhere else later. The column's
 * text is never quoted: it may hold an app's private data.
 */
export class CorruptRowError extends Error {
  constructor(column: string, rowId: string | number, problem: string) {
    super(`${column} of row ${rowId} ${problem}`)
    this.name = 'CorruptRowError'
  }
}

export interface JsonColumn<T> {
  /** The column's text as a value, parsed once and checked against the schema. */
  read(text: string, rowId: string | number): T
  /** The value as the column's text. */
  write(value: T): string
}

/** A JSON column's text as a value of no known shape yet; `column` names it in errors (`users.custom`). */
function parseJsonColumn(column: string, text: string, rowId: string | number): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new CorruptRowError(column, rowId, 'is not valid JSON')
  }
}

/** A text column that holds JSON of one shape (`column` names it in errors: `users.custom`). */
export function jsonColumn<T>(column: string, schema: z.ZodType<T>): JsonColumn<T> {
  return {
    read(text, rowId) {
      const result = schema.safeParse(parseJsonColumn(column, text, rowId))
      if (result.success) return result.data
      const issue = result.error.issues[0]!
      const where = issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`
      throw new CorruptRowError(column, rowId, `does not hold what it should${where}: ${issue.message}`)
    },
    write: (value) => JSON.stringify(value),
  }
}

/** A JSON object of any fields (users' and accounts' `custom`, events' `data`). */
export const jsonObject = z.record(z.string(), z.unknown())

/** A list of permission names (memberships, invitations). */
export const permissionList = z.array(z.string())

export const userCustom = jsonColumn('users.custom', jsonObject)
export const orgCustom = jsonColumn('orgs.custom', jsonObject)
export const membershipPermissions = jsonColumn('memberships.permissions', permissionList)
export const invitationPermissions = jsonColumn('invitations.permissions', permissionList)
export const eventData = jsonColumn('events.data', jsonObject)
