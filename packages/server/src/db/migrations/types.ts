import type { Kysely } from 'kysely'

export type Dialect = 'sqlite' | 'postgres'

/** A schema change; `dialect` picks the column types each database stores portably. */
export interface AirlockMigration {
  up(db: Kysely<any>, dialect: Dialect): Promise<void>
}

export function columnTypes(dialect: Dialect) {
  return dialect === 'postgres'
    ? ({ time: 'timestamptz', bool: 'boolean', serial: 'serial' } as const)
    : ({ time: 'text', bool: 'integer', serial: 'integer' } as const)
}
