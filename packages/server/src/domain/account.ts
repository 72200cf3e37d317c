/** An account (AuthRocket calls it an org): one user's, or shared by its members when the realm allows. */
export interface Org {
  id: string
  realmId: string
  name: string
  state: 'active' | 'closed'
  reference: string | null
  custom: Record<string, unknown>
  createdAt: Date
}

export interface Membership {
  id: string
  realmId: string
  orgId: string
  userId: string
  permissions: string[]
  selected: boolean
  createdAt: Date
}

export interface MembershipWithOrg extends Membership {
  org: Org
}

export interface Member extends Membership {
  email: string
  firstName: string | null
  lastName: string | null
}

/** An account as the portal lists it. */
export interface OrgSummary extends Org {
  memberCount: number
}
