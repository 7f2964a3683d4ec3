import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A directory the files tree (and later the projects view) starts from. */
@Entity('search_roots')
export class SearchRootEntity {
  /** Absolute, normalised path. */
  @PrimaryColumn({ type: 'text' })
  path!: string;

  /** ISO 8601 time it was added. */
  @Column({ type: 'text' })
  added_at!: string;
}
